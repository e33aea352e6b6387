import pandas as pd
import pytest

from auxlib import results, tables
from auxlib.book.profiles import experiment
from auxlib.training.store import Record


def test_duration_picks_a_readable_unit():
    assert tables.duration(7.4) == "7 s"
    assert tables.duration(190) == "3.2 minutes"
    assert tables.duration(3 * 3600) == "3.0 hours"


def test_mean_std_and_clustering_table():
    assert tables.mean_std([0.5, 0.7]) == "60.0% ± 10.0%" and tables.mean_std([0.25], percent=False) == "0.250"
    runs = [{"acc": 0.5, "hungarian": 0.4, "nmi": 0.1, "ari": 0.0, "clusters_used": 12.0},
            {"acc": 0.7, "hungarian": 0.4, "nmi": 0.3, "ari": 0.2, "clusters_used": 30.0}]
    table = tables.clustering_table({"ours": (30, runs)}, {"theirs": {"k": 10, "hungarian": (0.573, 0.039)}})
    assert table.loc["ours", "many-to-one ACC"] == "60.0% ± 10.0%" and table.loc["ours", "runs"] == 2
    assert table.loc["ours", "NMI"] == "0.200 ± 0.100" and table.loc["ours", "clusters used"] == "21.0 ± 9.0"
    assert table.loc["theirs, as reported", "Hungarian ACC"] == "57.3% ± 3.9%"
    assert table.loc["theirs, as reported", "many-to-one ACC"] == ""
    assert "NMI polarity" not in table  # no row records it
    with_polarity = [dict(r, nmi_polarity=0.3) for r in runs]
    assert tables.clustering_table({"ours": (30, with_polarity)}).loc["ours", "NMI polarity"] == "0.300 ± 0.000"
    named = tables.clustering_table({"ours": (30, runs)}, {"theirs": {"k": 10, "hungarian": (0.5, 0.1)}},
                                    dataset="synth-svhn")
    assert list(named["data"]) == ["synth-svhn", "SVHN"] and named.columns[0] == "data"
    assert "data" not in table


def test_compute_table_reads_each_chapter_and_sums_run_times(tmp_path):
    results.save("a", {"profile": "quick", "elapsed_seconds": 30.0, "train_seconds": {"x": 100.0, "y": 50.0}}, tmp_path)
    results.save("b", {"profile": "standard", "train_seconds": 600.0}, tmp_path)
    assert tables.compute_table(tmp_path, chapters=["b", "missing", "a"]).index.tolist() == ["b", "a"]
    table = tables.compute_table(tmp_path)
    assert table.loc["a"].tolist() == ["quick", "30 s", "2.5 minutes"]
    assert table.loc["b"].tolist() == ["standard", "", "10.0 minutes"]


def test_compute_sentence_counts_each_run_once_and_names_each_group():
    def record(seed: int, seconds: float) -> Record:
        return Record(experiment("exp1", "quick", dataset="synth-svhn", seed=seed), [], [], seconds, None)

    first, second = record(0, 60.0), record(1, 120.0)
    groups = {"runs this chapter uses": [first, second, first], "runs of the sweep": [record(2, 300.0),
                                                                                       record(3, 300.0)]}
    text = tables.compute_sentence(30.0, groups, shared="the first is exp1_1's")
    assert text == ("The 2 runs this chapter uses took 3.0 minutes of training, the 2 runs of the sweep 10.0 "
                    "minutes, by their records in the run cache (the first is exp1_1's). This execution of the "
                    "chapter took 30 s, runs found in the cache included.")


def test_throughput_table_gives_each_step_its_median_and_ratio_to_the_naive_port(tmp_path):
    assert tables.throughput_table(tmp_path).empty
    measured = {"(a) naive eager port": [300.0, 400.0, 350.0], "(b) auxlib step, fp32": [700.0, 710.0, 690.0]}
    results.save("throughput_split_cpu", {"arch": "split", "device": "cpu", "parameters": 3204748,
                                          "images_per_second": measured}, tmp_path)
    table = tables.throughput_table(tmp_path)
    assert table.columns.tolist() == ["split, 3,204,748 parameters (cpu)"]
    assert table.iloc[:, 0].tolist() == ["350 img/s (1.00x)", "700 img/s (2.00x)"]


def test_over_seeds_gives_each_cell_s_mean_and_spread_in_the_first_seed_s_order():
    first = pd.DataFrame({"b": {"x": 0.2, "y": 1.0}, "a": {"x": 0.4, "y": 3.0}}).T
    second = pd.DataFrame({"a": {"x": 0.6, "y": 3.0}, "b": {"x": 0.2, "y": 5.0}}).T
    mean, sd = tables.over_seeds([first, second])
    assert list(mean.index) == ["b", "a"] and mean.loc["a", "x"] == pytest.approx(0.5)
    assert sd.loc["b", "x"] == 0 and sd.loc["a", "x"] == pytest.approx(0.1) and sd.loc["b", "y"] == 2
    assert tables.over_seeds([first])[1].eq(0).all().all()
    with pytest.raises(ValueError, match="tables must be one or more tables of the same settings"):
        tables.over_seeds([first, second.drop("a")])
    assert tables.plus_minus(mean, sd).loc["a"].tolist() == ["0.50 ± 0.10", "3.00 ± 0.00"]
