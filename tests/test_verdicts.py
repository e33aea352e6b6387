import pytest

import auxlib
from auxlib import tables, verdicts
from auxlib.training.store import Run


def test_checklist_and_table1_add_the_budget_only_when_a_check_is_missed():
    config = auxlib.experiment("exp2", "standard", dataset="synth-svhn")
    assert tables.checklist({"a": True, "b": False}) == "- a: met\n- b: **missed**"
    missed = verdicts.table1([0.15, 0.17], 30, 0.2, {"x": False}, config)
    assert "**16.0% ± 1.0%** at $k = 30$ on synth-svhn" in missed
    assert missed.endswith("the paper's for 3,000,000 (the `paper` profile); the table above is what this budget "
                           "gives.")
    assert "paper` profile" not in verdicts.table1([0.6], 30, 0.2, {"x": True}, config)


def test_followed_factors_lists_the_top_three_and_the_digit():
    nmi = {"polarity": 0.3, "label": 0.01, "bg_color": 0.2, "font": 0.05}
    kinds = {"polarity": "local", "label": "global", "bg_color": "local", "font": "global"}
    assert verdicts.followed_factors(nmi, kinds) == (
        "The factors the clusters follow most closely are polarity (local, NMI 0.30), bg_color (local, NMI 0.20), "
        "font (global, NMI 0.05); the digit label has NMI 0.01.")
    assert verdicts.followed_factors({}, {}) == ""


def test_digit_clusters_says_when_a_cluster_does_not_stand_for_its_digit():
    low = verdicts.digit_clusters({3: (12, 0.27), 5: (4, 0.31)}, [0, 1])
    assert "None of these 2 clusters holds its digit" in low and "cluster 12 for 3 (27% of its test images)" in low
    assert "no cluster is led by 0 or 1." in low
    assert "no cluster is led by 0, 1 or 7." in verdicts.digit_clusters({3: (12, 0.27)}, [0, 1, 7])
    mixed = verdicts.digit_clusters({3: (12, 0.27), 5: (4, 0.8)}, [])
    assert "1 of these 2 clusters holds its digit" in mixed and "only leads" in mixed
    two = verdicts.digit_clusters({3: (12, 0.7), 5: (4, 0.8), 6: (1, 0.1)}, [])
    assert "2 of these 3 clusters hold their digit in at least 50% of their test images" in two
    pure = verdicts.digit_clusters({3: (12, 0.9)}, [])
    assert "This cluster holds its digit" in pure and "show the digit's clusters" in pure
    assert "All 2 of these clusters hold their digit" in verdicts.digit_clusters({3: (12, 0.9), 5: (4, 0.8)}, [])
    assert verdicts.digit_clusters({}, [0]) == "No cluster is led by any digit."


@pytest.mark.parametrize("likelihood, bits", [("logistic", True), ("bernoulli", False)])
def test_training_terms_give_bits_per_dimension_only_for_the_discretised_logistic(likelihood, bits):
    config = auxlib.experiment("method", "quick", dataset="cifar10", likelihood=likelihood)
    final = {"step": 100, "rec": 3072 * 2 * 0.6931471805599453, "aux": 3072 * 0.6931471805599453,
             "kl_g": 5.0, "kl_l": 7.25}
    text = verdicts.training_terms(Run(config, None, [final], 60.0, None))
    assert ("(2.00 and 1.00 bits per dimension)" in text) is bits
    assert "4,259 nats per image" in text and "5.0 nats in $z_g$ and 7.2 in $z_l$" in text


