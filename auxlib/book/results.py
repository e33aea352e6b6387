"""Each chapter's numbers, written to ``book/results/<chapter>.json`` with what produced them (package versions,
Python, machine, git commit).

The prose of a chapter quotes these files, never typed numbers; the results page reads the chapters' typed
findings from them (:mod:`auxlib.paper`) and their timings (:func:`auxlib.tables.compute_table`).
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

from ..io import CACHE, atomic_path, configured_folder

_PACKAGES = ("torch", "torchvision", "numpy", "scikit-learn", "scipy")


def results_dir() -> Path:
    """Where the book's results are read: ``$AUXLIB_RESULTS`` if set, else ``book/results`` of the project the
    working folder lies in (found by its ``_toc.yml``), else ``./results``. Chapters write to :func:`output_dir`."""
    here = Path.cwd().resolve()
    project = next((f for f in (here, *here.parents) if (f / "_toc.yml").exists() and (f / "book").is_dir()), None)
    default = here / "results" if project is None else project / "book" / "results"
    return configured_folder(None, "AUXLIB_RESULTS", default)


def output_dir() -> Path:
    """Where a chapter writes its numbers: ``$AUXLIB_RESULTS`` when set, else ``~/.cache/auxlib/results``.
    ``make reproduce`` sets it to ``book/results``, the one way to rewrite the committed book's results, so that a
    chapter executed with other parameters, or edited by hand, never changes them."""
    return configured_folder(None, "AUXLIB_RESULTS", CACHE / "results")


def record_archives() -> list[Path]:
    """The folders of kept run records (:func:`auxlib.train.records`): this execution's own, written, then the
    book's, read when it is another."""
    return list(dict.fromkeys([output_dir() / "records", results_dir() / "records"]))


def environment() -> dict[str, Any]:
    """Package versions, Python, platform, the git commit of the code (with ``+dirty`` if modified, :func:`_git_commit`)
    and the date and time (UTC) the numbers were made."""
    versions: dict[str, str | None] = {}
    for name in _PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {"packages": versions, "python": platform.python_version(), "machine": platform.machine(),
            "commit": _git_commit(), "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}


def _git_commit(where: Path | None = None) -> str | None:
    """The commit of the repository at ``where`` (by default auxlib's own), with ``+dirty`` when a tracked file
    differs from it in more than what executing the chapters in place writes: their outputs and
    ``book/results/``. A chapter whose cells were edited counts as a change. None outside a git repository."""
    where = where or Path(__file__).resolve().parent
    try:
        commit = _git(where, "rev-parse", "HEAD")
        top = Path(_git(where, "rev-parse", "--show-toplevel"))
        changed = _git(where, "diff", "--name-only", "HEAD").splitlines()
    except (OSError, subprocess.CalledProcessError):
        return None
    dirty = [f for f in changed if not f.startswith("book/results/")
             and not (f.endswith(".ipynb") and _cells(top / f) == _cells(_git(where, "show", f"HEAD:{f}")))]
    return commit + ("+dirty" if dirty else "")


def _git(where: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=where, capture_output=True, text=True, check=True).stdout.strip()


def _cells(notebook: Path | str) -> list[tuple[str, str]] | None:
    """A notebook's cells as (type, source), outputs and papermill's injected parameters left out (executing a
    chapter writes both); ``notebook`` is a path or the JSON text itself. None when it cannot be read."""
    try:
        text = notebook.read_text() if isinstance(notebook, Path) else notebook
        cells = json.loads(text)["cells"]
    except (OSError, ValueError, KeyError):
        return None
    return [(c["cell_type"], "".join(c["source"])) for c in cells
            if "injected-parameters" not in c.get("metadata", {}).get("tags", [])]


def save(chapter: str, results: dict[str, Any], directory: str | os.PathLike | None = None) -> Path:
    """Write ``results`` (plus the environment) to ``<directory>/<chapter>.json`` atomically, by default in
    :func:`output_dir`, and say where when that is not the book's results folder; returns the path.

    ``results`` should hold the data set, profile, config and seeds next to the measured numbers.
    """
    folder = Path(directory) if directory is not None else output_dir()
    path = folder / f"{chapter}.json"
    if directory is None and folder.resolve() != results_dir().resolve():
        print(f"{chapter}'s numbers are written to {path}; the book's own, in {results_dir()}, are rewritten only by "
              "`make reproduce`.")
    payload = {"chapter": chapter, **results, "environment": environment()}
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(payload, indent=1, sort_keys=False, default=_jsonable) + "\n")
    return path


def provenance(path: str | os.PathLike) -> str:
    """The sentence a page ends with: the commit its numbers were made at (and whether the code had uncommitted
    changes, :func:`_git_commit`), the date and the profile, read from the results file at ``path``
    (:func:`save`'s return value)."""
    saved = json.loads(Path(path).read_text())
    env = saved.get("environment", {})
    commit = env.get("commit")
    if commit is None:
        made = "outside a git repository"
    else:
        made = f"at commit `{commit.removesuffix('+dirty')[:10]}`"
        made += " with uncommitted changes to the code" if commit.endswith("+dirty") else ""
    date = env.get("date")
    when = (f" on {datetime.datetime.fromisoformat(date):%Y-%m-%d %H:%M} UTC" if date else "")
    profile = saved.get("profile")
    return f"The numbers on this page were made{when} {made}" + (f", at the `{profile}` profile." if profile else ".")


def load(chapter: str, directory: str | os.PathLike | None = None) -> dict[str, Any]:
    """Read a chapter's results."""
    return json.loads(_path(chapter, directory).read_text())


def load_if_present(chapter: str, directory: str | os.PathLike | None = None) -> dict[str, Any] | None:
    """A chapter's results, or None when that chapter has not been executed (no results file)."""
    path = _path(chapter, directory)
    return json.loads(path.read_text()) if path.exists() else None


def _path(chapter: str, directory: str | os.PathLike | None) -> Path:
    return (Path(directory) if directory is not None else results_dir()) / f"{chapter}.json"


def without_timings(value: Any) -> Any:
    """A results dict with every entry whose key ends in "seconds" removed, at any depth, and the environment
    left out: what must repeat exactly when a chapter is executed again with the same seed on the same machine."""
    if isinstance(value, dict):
        return {k: without_timings(v) for k, v in value.items()
                if not (isinstance(k, str) and (k.endswith("seconds") or k == "environment"))}
    if isinstance(value, list):
        return [without_timings(v) for v in value]
    return value


def _jsonable(value: Any) -> Any:
    """numpy and torch scalars/arrays, and dataclasses (typed findings), to plain Python."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


#: Timing files are ``<results>/timings_<profile>.json`` (written by :func:`auxlib.book.time_chapters`).
TIMINGS = "timings_"
#: Throughput files are ``<results>/throughput_<arch>_<device>.json`` (written by ``benchmarks/throughput.py``).
THROUGHPUT = "throughput_"
