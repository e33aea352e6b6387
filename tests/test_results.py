import json

import numpy as np

from auxlib import results


def test_save_and_load_with_environment(tmp_path):
    path = results.save("demo", {"dataset": "cifar10", "acc": np.float32(0.5), "curve": np.arange(3)}, tmp_path)
    assert path == tmp_path / "demo.json"
    loaded = results.load("demo", tmp_path)
    assert loaded["acc"] == 0.5 and loaded["curve"] == [0, 1, 2] and loaded["chapter"] == "demo"
    assert loaded["environment"]["packages"]["torch"]
    assert [p.name for p in tmp_path.iterdir()] == ["demo.json"]
    assert results.load_if_present("demo", tmp_path) == loaded
    assert results.load_if_present("absent", tmp_path) is None


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


def test_without_timings_drops_clock_readings_at_any_depth():
    record = {"a": 1, "train_seconds": 3.0, "runs": [{"seconds": 2, "acc": 0.5}], "environment": {"commit": "x"},
              "nested": {"elapsed_seconds": 1.0, "k": 30}}
    assert results.without_timings(record) == {"a": 1, "runs": [{"acc": 0.5}], "nested": {"k": 30}}


def test_a_chapter_writes_the_books_results_only_where_AUXLIB_RESULTS_points(tmp_path, monkeypatch, capsys):
    (tmp_path / "proj" / "book").mkdir(parents=True)
    (tmp_path / "proj" / "_toc.yml").write_text("root: x\n")
    monkeypatch.chdir(tmp_path / "proj" / "book")
    monkeypatch.delenv("AUXLIB_RESULTS")
    monkeypatch.setattr(results, "CACHE", tmp_path / "cache")
    path = results.save("demo", {"x": 1})
    assert path == tmp_path / "cache" / "results" / "demo.json"
    assert not (tmp_path / "proj" / "book" / "results").exists()
    assert "rewritten only by `make reproduce`" in capsys.readouterr().out
    assert results.record_archives() == [tmp_path / "cache" / "results" / "records",
                                         (tmp_path / "proj" / "book" / "results" / "records").resolve()]
    book = tmp_path / "proj" / "book" / "results"
    monkeypatch.setenv("AUXLIB_RESULTS", str(book))  # as make reproduce sets it
    assert results.save("demo", {"x": 1}) == book / "demo.json" and capsys.readouterr().out == ""
    assert results.record_archives() == [book / "records"]


def test_the_commit_is_dirty_for_edited_code_but_not_for_chapters_executed_in_place(tmp_path):
    import json
    import subprocess

    def git(*args):
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=tmp_path, check=True,
                       capture_output=True)

    def notebook(source, outputs, injected="profile = 'standard'"):
        cell = {"cell_type": "code", "source": [source], "outputs": outputs, "metadata": {}, "execution_count": 1}
        parameters = {"cell_type": "code", "source": [injected], "outputs": [], "execution_count": 1,
                      "metadata": {"tags": ["injected-parameters"]}}
        return json.dumps({"cells": [parameters, cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})

    (tmp_path / "book" / "results").mkdir(parents=True)
    (tmp_path / "book" / "c.ipynb").write_text(notebook("x = 1", []))
    (tmp_path / "book" / "results" / "c.json").write_text("{}")
    (tmp_path / "lib.py").write_text("A = 1\n")
    git("init", "-q")
    git("add", ".")
    git("commit", "-q", "-m", "start")
    assert not results._git_commit(tmp_path).endswith("+dirty")
    (tmp_path / "book" / "c.ipynb").write_text(notebook("x = 1", [{"output_type": "stream", "text": "1"}]))
    (tmp_path / "book" / "results" / "c.json").write_text('{"acc": 0.5}')
    assert not results._git_commit(tmp_path).endswith("+dirty")  # executed in place: outputs and results only
    (tmp_path / "book" / "c.ipynb").write_text(notebook("x = 1", [], injected="dataset = 'svhn'"))
    assert not results._git_commit(tmp_path).endswith("+dirty")  # executed with other parameters injected
    (tmp_path / "book" / "c.ipynb").write_text(notebook("x = 2", []))
    assert results._git_commit(tmp_path).endswith("+dirty")  # an edited cell
    (tmp_path / "book" / "c.ipynb").write_text(notebook("x = 1", []))
    (tmp_path / "lib.py").write_text("A = 2\n")
    assert results._git_commit(tmp_path).endswith("+dirty")
    assert results._git_commit(tmp_path.parent / "nowhere") is None


def test_provenance_names_the_commit_the_date_and_whether_the_code_was_committed(tmp_path):
    environment = {"commit": "0123456789abcdef+dirty", "date": "2026-12-03T03:21:53+00:00"}
    path = tmp_path / "x.json"
    path.write_text(json.dumps({"profile": "standard", "environment": environment}))
    assert results.provenance(path) == ("The numbers on this page were made on 2026-12-03 03:21 UTC at commit "
                                        "`0123456789` with uncommitted changes to the code, at the `standard` profile.")
    path.write_text(json.dumps({"environment": {"commit": "0123456789abcdef", "date": None}}))
    assert results.provenance(path) == "The numbers on this page were made at commit `0123456789`."
    path.write_text(json.dumps({"environment": {"commit": None}}))
    assert results.provenance(path) == "The numbers on this page were made outside a git repository."
