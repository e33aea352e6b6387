"""Every chapter in the table of contents runs at the quick profile, and the book builds from the results.

The book is copied to a temporary folder first, so that the committed notebooks and results stay untouched.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import papermill
import pytest
import yaml

from auxlib import results
from auxlib.config import book_parameters
from tests.conftest import require_dataset

ROOT = Path(__file__).resolve().parents[1]
# Parameters each chapter gets in the test, on top of profile="quick" and the book's own parameters.
PARAMETERS: dict[str, dict] = {"book/method.ipynb": {}, "book/data.ipynb": {}, "book/exp1_1.ipynb": {},
                               "book/exp1_2.ipynb": {}, "book/exp2_1.ipynb": {}, "book/exp2_2.ipynb": {},
                               # every test writes its results to its own folder: read the committed ones here
                               "book/results.ipynb": {"results_dir": str(ROOT / "book" / "results")}}
# Real data sets a chapter reads (synth-svhn is generated on demand, so it is not listed).
NEEDS: dict[str, list[str]] = {"book/method.ipynb": ["cifar10"], "book/data.ipynb": ["cifar10"],
                               "book/exp1_1.ipynb": ["cifar10"], "book/exp1_2.ipynb": ["cifar10"]}


def toc_notebooks() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]] + [entry["file"] for entry in toc.get("chapters", [])]
    return [f + ".ipynb" for f in files if (ROOT / (f + ".ipynb")).exists()]


@pytest.fixture(scope="module")
def book_copy(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("book")
    for name in ("_config.yml", "_toc.yml"):
        shutil.copy(ROOT / name, target / name)
    shutil.copytree(ROOT / "book", target / "book", ignore=shutil.ignore_patterns("results", ".ipynb_checkpoints"))
    return target


def test_every_toc_notebook_has_test_parameters():
    assert toc_notebooks(), "the table of contents lists no notebook"
    assert set(toc_notebooks()) <= set(PARAMETERS)


@pytest.mark.parametrize("notebook", toc_notebooks())
def test_notebook_runs_at_quick_profile(book_copy, notebook, tmp_path):
    for name in NEEDS.get(notebook, []):
        require_dataset(name, "train")
        require_dataset(name, "test")
    path = book_copy / notebook
    profiled = "profile" in papermill.inspect_notebook(path)  # the results page trains nothing and has no profile
    parameters = {**book_parameters(ROOT / notebook), **({"profile": "quick"} if profiled else {}),
                  **PARAMETERS[notebook]}
    papermill.execute_notebook(path, path, parameters=parameters,
                               kernel_name="python3", cwd=path.parent, progress_bar=False, execution_timeout=900)
    executed = json.loads(path.read_text())
    outputs = [o for c in executed["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])]
    assert not any(o["output_type"] == "error" for o in outputs)
    assert any("image/png" in o.get("data", {}) for o in outputs), "the chapter drew no figure"
    written = json.loads((tmp_path / "results" / f"{path.stem}.json").read_text())
    assert not profiled or written["profile"] == "quick"


def test_book_builds_without_warnings(book_copy):
    """Runs after the notebooks above (same module), so the site is built from their quick-profile outputs."""
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    result = subprocess.run([str(jupyter_book), "build", "-W", "--keep-going", str(book_copy)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    html = book_copy / "_build" / "html"
    for notebook in toc_notebooks():
        page = (html / notebook).with_suffix(".html")
        assert page.exists(), f"{page} was not built"
        assert "<img" in page.read_text() or "data:image/png" in page.read_text()
    assert (html / "intro.html").exists() or (html / "book" / "intro.html").exists()


def test_a_chapter_executed_twice_with_the_same_seed_writes_the_same_results(book_copy, tmp_path, monkeypatch):
    """Fresh run caches both times, so the models are trained twice; only clock readings may differ."""
    notebook = book_copy / "book" / "exp2_2.ipynb"
    written = []
    for attempt in ("first", "second"):
        monkeypatch.setenv("AUXLIB_RUNS", str(tmp_path / attempt / "runs"))
        monkeypatch.setenv("AUXLIB_RESULTS", str(tmp_path / attempt / "results"))
        out = tmp_path / attempt / notebook.name
        out.parent.mkdir()
        papermill.execute_notebook(notebook, out, parameters={**book_parameters(ROOT / "book/exp2_2.ipynb"),
                                                              "profile": "quick"},
                                   kernel_name="python3", cwd=notebook.parent, progress_bar=False,
                                   execution_timeout=900)
        written.append(json.loads((tmp_path / attempt / "results" / "exp2_2.json").read_text()))
    assert results.without_timings(written[0]) == results.without_timings(written[1])
