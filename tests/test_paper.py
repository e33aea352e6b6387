import pytest

from auxlib import paper, results

def test_agrees_within_the_tolerance_or_twice_the_spread():
    assert paper.agrees(0.84, 0.86) and not paper.agrees(0.82, 0.86)
    assert paper.agrees(0.50, 0.582, spread=0.056) and not paper.agrees(0.137, 0.582, spread=0.056)


def test_agreement_sentences():
    assert paper.agreement(0.84, 0.86) == "within 3% of the paper"
    assert paper.agreement(0.50, 0.582, spread=0.056) == "within 11% of the paper"
    assert paper.agreement(0.137, 0.582, spread=0.056) == "44.5 points below the paper"
    assert paper.agreement(0.99, 0.95, against="DEC") == "4.0 points above DEC"


def test_comparison_reads_the_chapters_that_exist(tmp_path):
    assert paper.comparison(tmp_path).empty
    scores = {"mean": 0.8, "min": 0.79, "max": 0.81, "values": [0.79, 0.8, 0.81]}
    results.save("exp1_2", {"dataset": "synth-svhn", "profile": "quick", "classifier": {"test_accuracy": 0.96},
                            "models": {"AuxVAE": {"scores": {"reconstruction": scores}}}}, tmp_path)
    table = paper.comparison(tmp_path)
    assert table["quantity"].tolist() == ["classifier, held-out test accuracy", "classifier on decodes: reconstruction"]
    assert table["paper"].tolist() == [0.95, 0.86] and table["verdict"].tolist()[1] == "6.0 points below the paper"
    runs = [{"acc": 0.5, "hungarian": 0.2}, {"acc": 0.6, "hungarian": 0.2}]
    results.save("exp2_1", {"dataset": "synth-svhn", "profile": "quick",
                            "rows": {"AuxGMVAE (k = 30)": {"k": 30, "scores": runs}}}, tmp_path)
    table = paper.comparison(tmp_path)
    ours = table[table["experiment"] == "2.1"]
    assert len(ours) == 1 and ours["ours"].item() == pytest.approx(0.55) and ours["runs"].item() == 2
    assert ours["against"].item() == "VAE + auxiliary task (paper)" and table["against"].iloc[0] == "the paper"
    assert ours["verdict"].item() == "within 11% of VAE + auxiliary task (paper)" and ours["agrees"].item()
