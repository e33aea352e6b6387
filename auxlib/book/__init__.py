"""The book layer: everything that exists for the chapters, which nothing below imports.

Beside this module: ``profiles`` (each chapter's values per budget, and the named experiments chapters share), one
module per study (``fig2`` for Experiment 1.1, ``decode_sweep`` for Experiment 1.2, ``ablation`` for Experiment 2's
gap, ``local_sweep`` for the local chapter, ``placement``), ``claims`` (the bars the verdicts are held to),
``verdicts`` (the sentences of the chapters without a module of their own),
``paper`` (the paper's numbers and ours beside them), ``results`` (each chapter's numbers as JSON), ``tables`` and
``plots``. This module is the book's plumbing: its table of contents, the parameters the committed book executes
each chapter with, and the timing of every chapter on a fresh run cache (the results page reads those timings).
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from unittest import mock

import yaml

from ..checks import read_yaml
from . import results
from .profiles import PROFILE_NAMES


def book_parameters(notebook: str | os.PathLike) -> dict[str, Any]:
    """The parameters the committed book executes ``notebook`` with, from ``parameters.yml`` beside it
    (empty when the file or the chapter's entry is missing)."""
    path = Path(notebook)
    listing = path.parent / "parameters.yml"
    if not listing.exists():
        return {}
    return dict((read_yaml(listing.read_text()) or {}).get(path.stem) or {})


def book_chapters(folder: str | os.PathLike = ".") -> list[str]:
    """The book's pages in table-of-contents order (file names without suffix), read from the ``_toc.yml`` in
    ``folder`` or the nearest folder above it."""
    here = Path(folder).resolve()
    for candidate in (here, *here.parents):
        toc = candidate / "_toc.yml"
        if toc.exists():
            listing = yaml.safe_load(toc.read_text())
            files = [listing["root"], *(entry["file"] for entry in listing.get("chapters", []))]
            return [Path(f).name for f in files]
    raise FileNotFoundError(f"no _toc.yml in {here} or any folder above it.")


def time_chapters(notebooks: Sequence[str | os.PathLike], profile: str = "quick",
                  directory: str | os.PathLike | None = None) -> Path:
    """Execute ``notebooks`` in order at ``profile`` with papermill, on an empty run cache and into a scratch
    folder (each with the book's parameters, :func:`book_parameters`), and write the wall-clock
    seconds of each to ``<directory>/timings_<profile>.json``; returns that path. Chapters reuse each other's
    runs as in a full reproduction; the data cache is kept (generating and importing data is not counted)."""
    import papermill  # here, not at the top: ``import auxlib`` should not start papermill's machinery

    if profile not in PROFILE_NAMES:
        raise ValueError(f"profile must be one of {', '.join(PROFILE_NAMES)}, got {profile!r}.")
    target = Path(directory) if directory is not None else results.results_dir()
    seconds = {}
    with tempfile.TemporaryDirectory(prefix="auxlib-timings-") as scratch, \
            mock.patch.dict(os.environ, AUXLIB_RUNS=f"{scratch}/runs", AUXLIB_RESULTS=f"{scratch}/results"):
        for notebook in map(Path, notebooks):
            declared = papermill.inspect_notebook(notebook)
            parameters = {**book_parameters(notebook), **({"profile": profile} if "profile" in declared else {})}
            start = time.perf_counter()
            papermill.execute_notebook(notebook, f"{scratch}/{notebook.name}", parameters=parameters,
                                       kernel_name="python3", cwd=notebook.parent, progress_bar=False)
            seconds[notebook.stem] = time.perf_counter() - start
    return results.save(f"{results.TIMINGS}{profile}",
                        {"profile": profile, "seconds": seconds, "fresh_run_cache": True}, target)
