import json

import pytest

from auxlib import paper, results

SCORES = {"reconstruction": [0.79, 0.8, 0.81], "z_l resampled": [0.7], "z_g resampled": [0.1]}


def test_agrees_within_the_tolerance_or_twice_the_spread():
    assert paper.agrees(0.84, 0.86) and not paper.agrees(0.82, 0.86)
    assert paper.agrees(0.50, 0.582, spread=0.056) and not paper.agrees(0.137, 0.582, spread=0.056)


def test_agreement_sentences():
    assert paper.agreement(0.84, 0.86) == "within 3% of the paper"
    assert paper.agreement(0.50, 0.582, spread=0.056) == "within 11% of the paper"
    assert paper.agreement(0.137, 0.582, spread=0.056) == "44.5 points below the paper"
    assert paper.agreement(0.99, 0.95, against="DEC") == "4.0 points above DEC"


def test_comparison_reads_the_findings_of_the_chapters_that_exist(tmp_path):
    assert paper.comparison(tmp_path).empty
    results.save("exp1_2", {"findings": paper.DecodeFindings("synth-svhn", "quick", 0.96, SCORES)}, tmp_path)
    table = paper.comparison(tmp_path)
    assert table["quantity"].tolist()[:2] == ["classifier, held-out test accuracy",
                                              "classifier on decodes: reconstruction"]
    assert table["paper"].tolist()[:2] == [0.95, 0.86] and table["verdict"].tolist()[1] == "6.0 points below the paper"
    assert table["spread"].tolist()[1] == "79.0% to 81.0% over 3 seeds"
    runs = [{"acc": 0.5, "hungarian": 0.2}, {"acc": 0.6, "hungarian": 0.2}]
    results.save("exp2_1", {"findings": paper.ClusterFindings("synth-svhn", "quick", {30: runs})}, tmp_path)
    table = paper.comparison(tmp_path)
    ours = table[table["experiment"] == "2.1"]
    assert len(ours) == 1 and ours["ours"].item() == pytest.approx(0.55) and ours["runs"].item() == 2
    assert set(table["against"]) == {"the paper"}  # the methods Table 1 cites are no claims of the paper
    assert ours["verdict"].item() == "within 11% of the paper" and ours["agrees"].item()
    results.save("exp2_1", {"findings": paper.ClusterFindings("synth-svhn", "quick", {10: runs})}, tmp_path)
    assert (paper.comparison(tmp_path)["experiment"] == "1.2").all()  # k = 10 is set against no claim


def test_findings_survive_the_results_file_and_a_renamed_field_fails_when_read(tmp_path):
    clusters = paper.ClusterFindings("synth-svhn", "quick", {10: [{"acc": 0.3, "hungarian": 0.2}]})
    results.save("exp2_1", {"findings": clusters}, tmp_path)
    assert paper.read_findings(paper.ClusterFindings, tmp_path) == clusters  # int keys come back from JSON
    assert paper.read_findings(paper.DecodeFindings, tmp_path) is None  # exp1_2 not executed
    stored = json.loads((tmp_path / "exp2_1.json").read_text())
    stored["findings"]["runs"] = stored["findings"].pop("auxgmvae")
    (tmp_path / "exp2_1.json").write_text(json.dumps(stored))
    with pytest.raises(ValueError, match="must hold findings with fields auxgmvae, dataset, profile, got "):
        paper.comparison(tmp_path)


def test_findings_refuse_what_the_results_page_cannot_read():
    with pytest.raises(ValueError, match="decodes must hold a non-empty list for each of reconstruction"):
        paper.DecodeFindings("svhn", "quick", 0.9, {"reconstruction": [0.8]})
    with pytest.raises(ValueError, match="auxgmvae must map each k to a non-empty list of scores"):
        paper.ClusterFindings("svhn", "quick", {30: [{"acc": 0.5}]})
