import json

import numpy as np
import pytest

from auxlib import results


def test_save_and_load_with_environment(tmp_path):
    path = results.save("demo", {"dataset": "cifar10", "acc": np.float32(0.5), "curve": np.arange(3)}, tmp_path)
    assert path == tmp_path / "demo.json"
    loaded = results.load("demo", tmp_path)
    assert loaded["acc"] == 0.5 and loaded["curve"] == [0, 1, 2] and loaded["chapter"] == "demo"
    assert loaded["environment"]["packages"]["torch"]
    assert [p.name for p in tmp_path.iterdir()] == ["demo.json"]


def test_results_dir_follows_environment_then_project(tmp_path, monkeypatch):
    monkeypatch.setenv("AUXLIB_RESULTS", str(tmp_path / "r"))
    assert results.results_dir() == tmp_path / "r"
    monkeypatch.delenv("AUXLIB_RESULTS")
    (tmp_path / "proj" / "book" / "deep").mkdir(parents=True)
    (tmp_path / "proj" / "_toc.yml").write_text("root: x\n")
    monkeypatch.chdir(tmp_path / "proj" / "book" / "deep")
    assert results.results_dir() == (tmp_path / "proj" / "book" / "results").resolve()


def test_output_is_plain_json(tmp_path):
    results.save("demo", {"nested": {"x": np.int64(3)}}, tmp_path)
    assert json.loads((tmp_path / "demo.json").read_text())["nested"]["x"] == 3


def test_duration_picks_a_readable_unit():
    assert results.duration(7.4) == "7 s"
    assert results.duration(190) == "3.2 minutes"
    assert results.duration(3 * 3600) == "3.0 hours"


def test_mean_std_and_clustering_table():
    assert results.mean_std([0.5, 0.7]) == "60.0% ± 10.0%" and results.mean_std([0.25], percent=False) == "0.250"
    runs = [{"acc": 0.5, "hungarian": 0.4, "nmi": 0.1, "ari": 0.0, "clusters_used": 12.0},
            {"acc": 0.7, "hungarian": 0.4, "nmi": 0.3, "ari": 0.2, "clusters_used": 30.0}]
    table = results.clustering_table({"ours": (30, runs)}, {"theirs": {"k": 10, "hungarian": (0.573, 0.039)}})
    assert table.loc["ours", "many-to-one ACC"] == "60.0% ± 10.0%" and table.loc["ours", "runs"] == 2
    assert table.loc["ours", "NMI"] == "0.200 ± 0.100" and table.loc["ours", "clusters used"] == "21.0 ± 9.0"
    assert table.loc["theirs, as reported", "Hungarian ACC"] == "57.3% ± 3.9%"
    assert table.loc["theirs, as reported", "many-to-one ACC"] == ""


def test_without_timings_drops_clock_readings_at_any_depth():
    record = {"a": 1, "train_seconds": 3.0, "runs": [{"seconds": 2, "acc": 0.5}], "environment": {"commit": "x"},
              "nested": {"elapsed_seconds": 1.0, "k": 30}}
    assert results.without_timings(record) == {"a": 1, "runs": [{"acc": 0.5}], "nested": {"k": 30}}


def test_agreement_sentences():
    assert results.agreement(0.84, 0.86) == "within 3% of the paper"
    assert results.agreement(0.50, 0.582, spread=0.056) == "within 11% of the paper"
    assert results.agreement(0.137, 0.582, spread=0.056) == "44.5 points below the paper"
    assert results.agreement(0.99, 0.95, against="DEC") == "4.0 points above DEC"


def test_paper_comparison_reads_the_chapters_that_exist(tmp_path):
    assert results.paper_comparison(tmp_path).empty
    scores = {"mean": 0.8, "min": 0.79, "max": 0.81, "values": [0.79, 0.8, 0.81]}
    results.save("exp1_2", {"dataset": "synth-svhn", "profile": "quick", "classifier": {"test_accuracy": 0.96},
                            "models": {"AuxVAE": {"scores": {"reconstruction": scores}}}}, tmp_path)
    table = results.paper_comparison(tmp_path)
    assert table["quantity"].tolist() == ["classifier, held-out test accuracy", "classifier on decodes: reconstruction"]
    assert table["paper"].tolist() == [0.95, 0.86] and table["verdict"].tolist()[1] == "6.0 points below the paper"
    runs = [{"acc": 0.5, "hungarian": 0.2}, {"acc": 0.6, "hungarian": 0.2}]
    results.save("exp2_1", {"dataset": "synth-svhn", "profile": "quick",
                            "rows": {"AuxGMVAE (k = 30)": {"k": 30, "scores": runs}}}, tmp_path)
    table = results.paper_comparison(tmp_path)
    ours = table[table["experiment"] == "2.1"]
    assert len(ours) == 1 and ours["ours"].item() == pytest.approx(0.55) and ours["runs"].item() == 2
    assert ours["against"].item() == "VAE + auxiliary task (paper)" and table["against"].iloc[0] == "the paper"
    assert ours["verdict"].item() == "within 11% of VAE + auxiliary task (paper)"


def test_compute_table_reads_each_chapter_and_sums_run_times(tmp_path):
    results.save("a", {"profile": "quick", "elapsed_seconds": 30.0, "train_seconds": {"x": 100.0, "y": 50.0}}, tmp_path)
    results.save("b", {"profile": "standard", "train_seconds": 600.0}, tmp_path)
    assert results.compute_table(tmp_path, chapters=["b", "missing", "a"]).index.tolist() == ["b", "a"]
    table = results.compute_table(tmp_path)
    assert table.loc["a"].tolist() == ["quick", "30 s", "2.5 minutes"]
    assert table.loc["b"].tolist() == ["standard", "", "10.0 minutes"]
