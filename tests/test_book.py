import os
from pathlib import Path

import pytest
import yaml

import auxlib
from auxlib import book, results, tables


def test_book_parameters_read_beside_the_notebook(tmp_path, capsys):
    from auxlib.__main__ import main

    (tmp_path / "parameters.yml").write_text("exp:\n  dataset: synth-svhn\n  k: 3\n")
    assert book.book_parameters(tmp_path / "exp.ipynb") == {"dataset": "synth-svhn", "k": 3}
    assert book.book_parameters(tmp_path / "other.ipynb") == {}
    assert book.book_parameters(tmp_path / "sub" / "exp.ipynb") == {}
    main(["book-parameters", str(tmp_path / "exp.ipynb")])
    assert capsys.readouterr().out.strip() == "{dataset: synth-svhn, k: 3}"


def test_committed_book_parameters_name_known_chapters_and_datasets():
    root = Path(__file__).resolve().parents[1]
    listing = yaml.safe_load((root / "book" / "parameters.yml").read_text())
    for chapter, params in listing.items():
        assert (root / "book" / f"{chapter}.ipynb").exists()
        assert params.get("dataset", "cifar10") in auxlib.config.DATASETS


def test_book_chapters_follow_the_toc_from_inside_the_book(tmp_path):
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: index\nchapters:\n  - file: b\n  - file: a\n")
    (tmp_path / "book").mkdir()
    assert book.book_chapters(tmp_path / "book") == ["index", "b", "a"]
    with pytest.raises(FileNotFoundError, match="_toc.yml"):
        book.book_chapters("/")


def test_time_chapters_runs_each_notebook_on_an_empty_cache_and_the_table_shows_it(tmp_path, monkeypatch):
    import nbformat

    monkeypatch.setenv("AUXLIB_RUNS", str(tmp_path / "my-runs"))
    check = "import os\nassert profile == 'quick' and 'my-runs' not in os.environ['AUXLIB_RUNS']"
    for name, body in (("first", check), ("second", "x = 1")):
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        cell = nbformat.v4.new_code_cell("profile = 'standard'")
        cell.metadata["tags"] = ["parameters"]
        nb.cells = [cell, nbformat.v4.new_code_cell(body)]
        nbformat.write(nb, tmp_path / f"{name}.ipynb")
    path = book.time_chapters([tmp_path / "first.ipynb", tmp_path / "second.ipynb"], "quick", tmp_path / "out")
    assert path == tmp_path / "out" / "timings_quick.json"
    assert list(results.load("timings_quick", tmp_path / "out")["seconds"]) == ["first", "second"]
    assert os.environ["AUXLIB_RUNS"] == str(tmp_path / "my-runs")  # restored
    results.save("first", {"profile": "standard", "elapsed_seconds": 600.0}, tmp_path / "out")
    table = tables.compute_table(tmp_path / "out")
    assert table.index.tolist() == ["first"] and table.columns[-1] == "quick, fresh cache"
    assert table.loc["first", "quick, fresh cache"].endswith(" s")
    with pytest.raises(ValueError, match="^profile must be one of"):
        book.time_chapters([], "huge")
