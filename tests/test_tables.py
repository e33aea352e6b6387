import json

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
    assert table.columns.tolist() == ["AuxVAE, split, 3,204,748 parameters (cpu)"]
    assert table.iloc[:, 0].tolist() == ["350 img/s (1.00x)", "700 img/s (2.00x)"]
    measured["(s) [SPLIT]'s TF2 step, fp32"] = [500.0]
    precision = dict.fromkeys(measured, "fp32")
    results.save("throughput_split-auxgmvae_cpu", {
        "arch": "split", "model": "AuxGMVAE", "device": "cpu", "parameters": 6775370, "images_per_second": measured,
        "flops_per_image": 1e9, "peak_gflops": {"fp32": 1000.0, "bf16": 4000.0}, "precision": precision,
        "auto": "(b) auxlib step, fp32", "score_share": 0.0412,
        "score_setting": "exp2's standard profile, 5,000 images every 250 steps"}, tmp_path)
    table = tables.throughput_table(tmp_path)
    column = table["AuxGMVAE, split, 6,775,370 parameters (cpu)"]
    assert column.drop(tables.SCORES_ROW).tolist() == ["350 img/s (1.00x (a), 0.70x (s)), 35% of the fp32 peak",
                                                       "700 img/s (2.00x (a), 1.40x (s)), 70% of the fp32 peak; "
                                                       "out of the box",
                                                       "500 img/s (1.43x (a), 1.00x (s)), 50% of the fp32 peak"]
    assert table["AuxVAE, split, 3,204,748 parameters (cpu)"].iloc[2] == ""  # a step the other file did not time
    assert column[tables.SCORES_ROW] == "4.1% of a run's time (exp2's standard profile, 5,000 images every 250 steps)"
    results.save("throughput_compact_cpu", {"arch": "compact", "device": "cpu", "parameters": 1128204,
                                            "images_per_second": {"(a) naive eager port": [900.0]},
                                            "score_share": 0.2, "score_setting": "exp1's"}, tmp_path)
    table = tables.throughput_table(tmp_path)  # the first column has no (s): the scores still come last
    assert table.index[-1] == tables.SCORES_ROW and "(s) [SPLIT]'s TF2 step, fp32" in table.index


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


def _record(folder, config, seconds, cpu_seconds=None, shared_by=None, name=None):
    """A run record as the trainer writes it, at ``folder/<key>.json`` (a kept copy) or ``folder/<name>``."""
    fields = {"config": config.to_dict(), "history": [], "scores": [], "seconds": seconds, "hardware": "cpu, 2 cores"}
    if cpu_seconds is not None:
        fields.update(cpu_seconds=cpu_seconds, shared_by=shared_by)
    path = folder / (name or f"{config.key()}.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(fields))


def _configs(n):
    return [experiment("exp1", "quick", dataset="synth-svhn", seed=seed) for seed in range(n)]


def test_chapter_runs_reads_every_run_key_of_the_results_and_trusts_only_records_of_the_same_training(tmp_path):
    first, second, sweep, retrained = _configs(4)
    kept, runs = tmp_path / "results" / "records", tmp_path / "runs"
    _record(kept, first, 100.0, 180.0, 2)
    _record(runs / second.key(), second, 50.0, 90.0, 1, name="run.json")
    _record(kept, sweep, 400.0, 700.0, 2)
    _record(runs / retrained.key(), retrained, 10.0, 20.0, 1, name="run.json")  # not the training the results used
    result = {"train_seconds": {first.key(): 100.0, second.key(): 50.0, retrained.key(): 30.0},
              "sweep": {"runs": [sweep.key()], "commit": "0123456789abcdef0123456789abcdef01234567"}}
    found = tables.chapter_runs(result, [kept], runs)
    assert found == [tables.RunTime(first.key(), 100.0, 180.0, 2), tables.RunTime(second.key(), 50.0, 90.0, 1),
                     tables.RunTime(retrained.key(), 30.0), tables.RunTime(sweep.key(), 400.0, 700.0, 2)]
    # entries by name take the key whose record has their seconds; one that matches none leaves out the runs
    # named only elsewhere, which may be it trained again
    named = {"train_seconds": {"the first": 100.0, "again": 100.0}, "run": first.key(), "other": sweep.key()}
    assert tables.chapter_runs(named, [kept], runs) == [tables.RunTime(first.key(), 100.0, 180.0, 2),
                                                        tables.RunTime(sweep.key(), 400.0, 700.0, 2)]
    unmatched = {"train_seconds": 75.0, "run": sweep.key()}
    assert tables.chapter_runs(unmatched, [kept], runs) == [tables.RunTime(None, 75.0)]
    assert tables.chapter_runs({"run": sweep.key()}, [], runs) == []  # no record anywhere: nothing to count


def test_unique_runs_counts_each_training_once():
    a, b = "0123456789abcdef", "fedcba9876543210"
    runs = [tables.RunTime(a, 100.0), tables.RunTime(None, 100.0), tables.RunTime(a, 100.0, 150.0, 2),
            tables.RunTime(a, 60.0), tables.RunTime(b, 100.0), tables.RunTime(None, 30.0)]
    assert tables.unique_runs(runs) == [tables.RunTime(a, 100.0, 150.0, 2), tables.RunTime(a, 60.0),
                                        tables.RunTime(b, 100.0), tables.RunTime(None, 30.0)]


def test_compute_table_adds_the_cpu_time_and_a_book_row_that_counts_shared_runs_once(tmp_path):
    first, second, sweep = _configs(3)
    _record(tmp_path / "records", first, 100.0, 180.0, 2)
    _record(tmp_path / "runs" / second.key(), second, 50.0, 90.0, 1, name="run.json")
    _record(tmp_path / "records", sweep, 400.0, 700.0, 2)
    results.save("a", {"profile": "standard", "elapsed_seconds": 60.0,
                       "train_seconds": {first.key(): 100.0, second.key(): 50.0}, "sweep": [sweep.key()]}, tmp_path)
    results.save("b", {"profile": "standard", "elapsed_seconds": 30.0, "train_seconds": {"shared": 100.0},
                       "run": first.key()}, tmp_path)
    results.save("c", {"profile": "quick", "train_seconds": 300.0}, tmp_path)
    results.save("timings_quick", {"seconds": {"a": 20.0, "b": 40.0}}, tmp_path)
    table = tables.compute_table(tmp_path, root=tmp_path / "runs", total=True)
    assert table.columns.tolist() == ["profile", "execution", "training of its runs (wall clock)",
                                      "CPU time of its runs", "quick, fresh cache"]
    assert table.index.tolist() == ["a", "b", "c", "book"]
    assert table.loc["a"].tolist() == ["standard", "60 s", "9.2 minutes", "16.2 minutes", "20 s"]
    assert table.loc["b"].tolist() == ["standard", "30 s", "100 s", "3.0 minutes", "40 s"]
    assert table.loc["c"].tolist() == ["quick", "", "5.0 minutes", "", ""]
    # the book: first (shared by a and b) once, 100 + 50 + 400 + 300 s; CPU time of three runs of the four
    assert table.loc["book"].tolist() == ["quick, standard", "90 s", "14.2 minutes", "16.2 minutes (3 of 4 runs)",
                                          "60 s (2 of 3 chapters)"]
    # without records of CPU time, the wall clock says it is shared, and the book row is asked for
    results.save("d", {"profile": "quick", "train_seconds": 30.0}, tmp_path / "old")
    old = tables.compute_table(tmp_path / "old", root=tmp_path / "none")
    assert old.columns.tolist() == ["profile", "execution", "training of its runs (wall clock, shared)"]
    assert old.index.tolist() == ["d"]


def test_series_names_a_list_as_a_sentence_does():
    assert tables.series(["a", "b", "c"]) == "a, b and c" and tables.series(["a"]) == "a"
    assert tables.series([]) == "" and tables.series(["a", "b"], "or") == "a or b"
