"""Every chapter in the table of contents runs at the quick profile, and the book builds from the results.

The book is copied to a temporary folder first, so that the committed notebooks and results stay untouched.
"""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
from pathlib import Path

import papermill
import pytest

from auxlib import results
from auxlib.book import book_chapters, book_parameters
from auxlib.book.plots import PAGE_WIDTH
from tests.conftest import require_dataset, write_svhn

ROOT = Path(__file__).resolve().parents[1]
# Parameters each chapter gets in the test, on top of profile="quick" and the book's own parameters.
PARAMETERS: dict[str, dict] = {"book/method.ipynb": {}, "book/data.ipynb": {}, "book/exp1_1.ipynb": {},
                               "book/exp1_2.ipynb": {}, "book/exp2_1.ipynb": {}, "book/exp2_2.ipynb": {},
                               "book/exp2_gap.ipynb": {}, "book/placement.ipynb": {}, "book/local.ipynb": {},
                               # every test writes its results to its own folder: read the committed ones here
                               "book/results.ipynb": {"results_dir": str(ROOT / "book" / "results")},
                               "book/index.ipynb": {"results_dir": str(ROOT / "book" / "results")}}
# Real data sets a chapter reads (synth-svhn is generated on demand, so it is not listed).
NEEDS: dict[str, list[str]] = {"book/method.ipynb": ["cifar10"], "book/data.ipynb": ["cifar10"],
                               "book/exp1_1.ipynb": ["cifar10"], "book/exp1_2.ipynb": ["cifar10"]}


def toc_notebooks() -> list[str]:
    """The notebooks among the book's pages, as paths from the project root (the toc lists them from book/)."""
    return [f"book/{name}.ipynb" for name in book_chapters(ROOT) if (ROOT / "book" / f"{name}.ipynb").exists()]


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
def test_papermill_finds_every_parameter_of_the_parameters_cell(notebook):
    # papermill reads the cell line by line and drops a line it cannot parse (say, a comment holding " = "), after
    # which `-p name value` calls the parameter unknown: every name assigned in the cell must be among its finds.
    cells = json.loads((ROOT / notebook).read_text())["cells"]
    source = "".join(next(c for c in cells if "parameters" in c["metadata"].get("tags", []))["source"])
    assigned = {t.id for node in ast.parse(source).body if isinstance(node, ast.Assign) for t in node.targets}
    assert assigned and assigned == set(papermill.inspect_notebook(ROOT / notebook))


@pytest.mark.parametrize("notebook", toc_notebooks())
def test_notebook_runs_at_quick_profile(book_copy, notebook, tmp_path, monkeypatch):
    monkeypatch.setenv("AUXLIB_CHECK_FIGURES", "1")  # auxlib.plots reports text too small to read on the page
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
    reprs = ["".join(o["data"]["text/plain"]) for o in outputs if o["output_type"] == "execute_result"
             and "".join(o["data"].get("text/plain", "")).startswith("<matplotlib.")]
    assert not reprs, f"{notebook} prints a figure object's repr (end its cell with ';'): {reprs}"
    small = [line for o in outputs if o["output_type"] == "stream" for line in "".join(o["text"]).splitlines()
             if line.startswith("auxlib.plots: ")]  # text too small on the page, or drawn over other text
    assert not small, f"{notebook}: " + "; ".join(small)
    if path.stem == book_chapters(ROOT)[0]:  # the landing page: the claims, read from the committed results
        assert any("Of the paper's" in "".join(o.get("data", {}).get("text/markdown", "")) for o in outputs)
        return
    assert any("image/png" in o.get("data", {}) for o in outputs), "the chapter drew no figure"
    written = json.loads((tmp_path / "results" / f"{path.stem}.json").read_text())
    assert not profiled or written["profile"] == "quick"


def test_book_builds_without_warnings(book_copy):
    """Runs after the notebooks above (same module), so the site is built from their quick-profile outputs."""
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    result = subprocess.run([str(jupyter_book), "build", "-W", "--keep-going", str(book_copy / "book"),
                             "--config", str(book_copy / "_config.yml"), "--toc", str(book_copy / "_toc.yml"),
                             "--path-output", str(book_copy)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    html = book_copy / "_build" / "html"
    for notebook in toc_notebooks()[1:]:  # the landing page has no figure
        page = html / f"{Path(notebook).stem}.html"
        assert page.exists(), f"{page} was not built"
        assert "<img" in page.read_text() or "data:image/png" in page.read_text()
    landing = (html / "index.html").read_text()
    assert "http-equiv=\"Refresh\"" not in landing and "How to read this book" in landing  # the intro, no redirect
    assert "What reproduced, claim by claim" in landing and "Of the paper" in landing


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


def chromium(profile_dir: Path):
    """Headless Chromium from Debian's packages (`.ci/run` installs them), driven by Selenium, with the browser's
    console and network logs kept."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary, driver = shutil.which("chromium"), shutil.which("chromedriver")
    assert binary and driver, "chromium and chromium-driver are not installed (apt-get install chromium " \
                              "chromium-driver)"
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", f"--user-data-dir={profile_dir}",
                 "--window-size=1280,1000"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    return webdriver.Chrome(service=Service(driver), options=options)


_MATHJAX_DONE = """const done = arguments[arguments.length - 1];
if (window.MathJax && MathJax.startup && MathJax.startup.promise) { MathJax.startup.promise.then(() => done(true)); }
else { done(false); }"""
_BROKEN_IMAGES = "return [...document.images].filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src);"
_MATH = "return document.querySelectorAll('.math').length > 0;"
_RAW_MATH = "return [...document.querySelectorAll('.math')].filter(e => !e.querySelector('mjx-container')).length;"
_WIDE_MATH = ("return [...document.querySelectorAll('mjx-container[display=\"true\"]')]"
              ".filter(e => e.scrollWidth > e.parentElement.clientWidth + 1).length;")
_COLUMN = "const i = document.querySelector('main img'); return i ? i.parentElement.clientWidth : null;"
_NETWORK = ("http:", "https:", "ws:", "wss:", "ftp:")  # the browser's own chrome:// pages are not the site's


def test_every_page_works_in_a_real_browser(book_copy, tmp_path):
    """After the build above: each page loads, its images decode, its math is typeset by MathJax, it asks nothing
    of the network and logs no JavaScript error. Screenshots go to _build/screenshots/ for a person to look at."""
    from selenium.webdriver.support.ui import WebDriverWait

    html = book_copy / "_build" / "html"
    shots = ROOT / "_build" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    browser = chromium(tmp_path / "chromium")
    browser.set_script_timeout(30)
    browser.get_log("performance")  # start-up traffic of the browser itself
    try:
        for name in book_chapters(ROOT):
            page = html / f"{'index' if name == book_chapters(ROOT)[0] else name}.html"
            browser.get(page.as_uri())
            WebDriverWait(browser, 30).until(lambda b: b.execute_script("return document.readyState") == "complete")
            # Sphinx loads MathJax only on pages with math: a page without any has nothing to typeset
            has_math = browser.execute_script(_MATH)
            typeset = browser.execute_async_script(_MATHJAX_DONE) if has_math else True
            assert browser.title, f"{page.name} has no title"
            assert browser.execute_script(_BROKEN_IMAGES) == [], f"{page.name} has images that did not decode"
            assert typeset and browser.execute_script(_RAW_MATH) == 0, f"{page.name} has math MathJax did not typeset"
            assert browser.execute_script(_WIDE_MATH) == 0, f"{page.name} has an equation wider than the column"
            requests = [json.loads(entry["message"])["message"] for entry in browser.get_log("performance")]
            urls = [m["params"]["request"]["url"] for m in requests if m["method"] == "Network.requestWillBeSent"]
            assert [u for u in urls if u.startswith(_NETWORK)] == [], f"{page.name} reached for the network"
            errors = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
            assert errors == [], f"{page.name} logged JavaScript errors"
            # auxlib.plots judges text sizes against this column's width, at the figures' 100 dots per inch
            column = browser.execute_script(_COLUMN)
            assert column is None or abs(column - 100 * PAGE_WIDTH) <= 2, f"{page.name}: the column is {column} px"
            height = browser.execute_script("return document.documentElement.scrollHeight")
            browser.set_window_size(1280, min(height, 12000))
            browser.save_screenshot(str(shots / f"{name}.png"))
            browser.set_window_size(1280, 1000)
    finally:
        browser.quit()


# One bad value per kind the issue names: unknown data set, impossible patch size, k < 2, negative beta,
# non-positive steps, and a wrong type.
BAD_PARAMETERS = [("dataset", "mnist"), ("patch_size", 3), ("k", 1), ("beta", -1.0), ("steps", 0),
                  ("steps", "ten"), ("results_dir", "/nonexistent"), ("patch_sizes", "four"), ("workers", 0),
                  ("setting_names", ["β = 3"]), ("fit_images", 0), ("extra_seeds", [-1]), ("compare", "yes")]


@pytest.mark.parametrize("notebook", toc_notebooks())
def test_bad_parameters_stop_the_first_cell_with_one_clear_error(book_copy, notebook, tmp_path):
    path = book_copy / notebook
    declared = papermill.inspect_notebook(path)
    cases = [(name, value) for name, value in BAD_PARAMETERS if name in declared]
    if "profile" in declared:
        cases.append(("profile", "huge"))
    assert cases, f"{notebook} takes none of the parameters this test knows how to spoil"
    for name, value in cases:
        out = tmp_path / f"{name}.ipynb"
        parameters = {**book_parameters(ROOT / notebook), "profile": "quick", name: value}
        with pytest.raises(papermill.PapermillExecutionError) as info:
            papermill.execute_notebook(path, out, parameters={k: v for k, v in parameters.items() if k in declared},
                                       kernel_name="python3", cwd=path.parent, progress_bar=False)
        assert info.value.ename == "ValueError" and info.value.evalue.startswith(f"{name} must"), info.value.evalue
        cells = json.loads(out.read_text())["cells"]
        injected = next(i for i, c in enumerate(cells) if "injected-parameters" in c["metadata"].get("tags", []))
        first = next(i for i, c in enumerate(cells) if i > injected and c["cell_type"] == "code")
        assert info.value.source == "".join(cells[first]["source"]), f"{notebook}: {name} was caught too late"


# Chapters that need the true factors of synth-svhn, which SVHN does not record.
FACTOR_CHAPTERS = ("book/placement.ipynb", "book/local.ipynb")
# Chapters that take a `dataset` and run on SVHN.
SVHN_CHAPTERS = [nb for nb in toc_notebooks() if nb not in FACTOR_CHAPTERS
                 and "dataset" in papermill.inspect_notebook(ROOT / nb)]


@pytest.fixture(scope="module")
def svhn_files(tmp_path_factory) -> Path:
    """A data root holding only SVHN-format files (`<split>_32x32.mat`) of a few hundred digit images."""
    from auxlib import synth_svhn

    root = tmp_path_factory.mktemp("svhn-data")
    for split, n, seed in (("train", 600, 11), ("test", 300, 12), ("extra", 200, 13)):
        images, labels, _ = synth_svhn.generate(n, seed)
        write_svhn(root / "svhn", split, images, labels)
    return root


@pytest.mark.parametrize("notebook", SVHN_CHAPTERS)
def test_chapter_runs_at_quick_profile_on_svhn_files(book_copy, notebook, svhn_files, tmp_path, monkeypatch):
    monkeypatch.setenv("AUXLIB_DATA", str(svhn_files))  # nothing else there: no other data set is read
    path = book_copy / notebook
    declared = papermill.inspect_notebook(path)
    parameters = {"profile": "quick", "dataset": "svhn",
                  **{name: None for name in ("second_dataset", "extension_dataset") if name in declared}}
    out = tmp_path / path.name
    papermill.execute_notebook(path, out, parameters=parameters, kernel_name="python3", cwd=path.parent,
                               progress_bar=False, execution_timeout=900)
    written = json.loads((tmp_path / "results" / f"{path.stem}.json").read_text())
    assert written.get("dataset", next(iter(written.get("datasets", [None])))) == "svhn"
    assert not (svhn_files / "cifar10").exists() and not (svhn_files / "synth-svhn").exists()
