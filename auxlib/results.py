"""Each chapter's numbers, written to ``book/results/<chapter>.json`` with what produced them.

The prose of a chapter quotes these dicts, never typed numbers, and the results page reads them all.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .io import atomic_path, configured_folder

_PACKAGES = ("torch", "torchvision", "numpy", "scikit-learn", "scipy")

#: Numbers the paper reports, shown beside ours: its Fig. 3 (Experiment 1.2, section 3.1) and its Table 1
#: (Experiment 2.1, section 3.2), on SVHN.
#: Table 1 rows give k, the number of runs and ACC as (mean, std); the paper's own row is many-to-one ACC,
#: the others are the one-to-one ACC their authors report.
PAPER: dict[str, dict[str, Any]] = {
    "exp1_2": {"classifier": 0.95, "reconstruction": 0.86, "z_l resampled": 0.80, "z_g resampled": 0.11},
    "exp2_1": {
        "VAE + auxiliary task (paper)": {"k": 30, "runs": 4, "acc": (0.582, 0.056)},
        "DEC (Xie et al. 2016)": {"k": 10, "hungarian": (0.119, 0.004)},
        "IMSAT (Hu et al. 2017)": {"k": 10, "hungarian": (0.573, 0.039)},
        "ACOL + GAR + k-means (Kilinc & Uysal 2018)": {"k": 10, "hungarian": (0.768, 0.013)},
    },
}


def results_dir() -> Path:
    """``$AUXLIB_RESULTS`` if set, else ``book/results`` of the project the working folder lies in (found by
    its ``_toc.yml``), else ``./results``."""
    here = Path.cwd().resolve()
    project = next((f for f in (here, *here.parents) if (f / "_toc.yml").exists() and (f / "book").is_dir()), None)
    default = here / "results" if project is None else project / "book" / "results"
    return configured_folder(None, "AUXLIB_RESULTS", default)


def environment() -> dict[str, Any]:
    """Package versions, Python, platform and the git commit of the code (with ``+dirty`` if modified)."""
    versions = {}
    for name in _PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {"packages": versions, "python": platform.python_version(), "machine": platform.machine(),
            "commit": _git_commit()}


def _git_commit() -> str | None:
    where = Path(__file__).resolve().parent
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=where, capture_output=True, text=True,
                                check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=where,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return commit + ("+dirty" if dirty else "")


def save(chapter: str, results: dict[str, Any], directory: str | os.PathLike | None = None) -> Path:
    """Write ``results`` (plus the environment) to ``<directory>/<chapter>.json`` atomically; returns the path.

    ``results`` should hold the data set, profile, config and seeds next to the measured numbers.
    """
    path = Path(directory) if directory is not None else results_dir()
    path = path / f"{chapter}.json"
    payload = {"chapter": chapter, **results, "environment": environment()}
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(payload, indent=1, sort_keys=False, default=_jsonable) + "\n")
    return path


def load(chapter: str, directory: str | os.PathLike | None = None) -> dict[str, Any]:
    """Read a chapter's results."""
    path = (Path(directory) if directory is not None else results_dir()) / f"{chapter}.json"
    return json.loads(path.read_text())


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
    """numpy and torch scalars/arrays to plain Python."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


#: The columns of the clustering table: score key in :func:`auxlib.metrics.clustering_scores` -> heading.
SCORE_COLUMNS = {"acc": "many-to-one ACC", "hungarian": "Hungarian ACC", "nmi": "NMI", "ari": "ARI",
                 "clusters_used": "clusters used"}
#: Columns written as percentages, and columns written with other than 3 decimals.
_PERCENT_COLUMNS = {"acc", "hungarian"}
_DECIMALS = {"clusters_used": 1}


def mean_std(values: Sequence[float], percent: bool = True, decimals: int = 3) -> str:
    """Mean and standard deviation (over runs) as text, e.g. "58.2% ± 5.6%" (or with ``decimals`` decimals when not
    ``percent``); the mean alone for one value."""
    form = "{:.1%}" if percent else f"{{:.{decimals}f}}"
    text = form.format(float(np.mean(values)))
    return text + (" ± " + form.format(float(np.std(values))) if len(values) > 1 else "")


def clustering_table(rows: dict[str, tuple[int, list[dict[str, float]]]],
                     paper: dict[str, dict[str, Any]] | None = None) -> pd.DataFrame:
    """Table 1 of Experiment 2.1: one row per method with k, the number of runs and every score as mean ± std.

    Args:
        rows: method name -> (k, one :func:`auxlib.metrics.clustering_scores` dict per run).
        paper: reported rows in the form of ``PAPER["exp2_1"]``, appended with ", as reported".
    """
    lines = {name: {"k": k, "runs": len(scores),
                    **{head: _column(scores, key) for key, head in SCORE_COLUMNS.items()}}
             for name, (k, scores) in rows.items()}
    for name, ref in (paper or {}).items():
        lines[f"{name}, as reported"] = {"k": ref["k"], "runs": ref.get("runs", ""),
                                         **{head: f"{ref[key][0]:.1%} ± {ref[key][1]:.1%}"
                                            for key, head in SCORE_COLUMNS.items() if key in ref}}
    return pd.DataFrame(lines).T.fillna("")


def _column(scores: list[dict[str, float]], key: str) -> str:
    """One cell of the clustering table: the mean ± std of ``key`` over runs, empty where runs lack it."""
    if not all(key in s for s in scores):
        return ""
    return mean_std([s[key] for s in scores], percent=key in _PERCENT_COLUMNS, decimals=_DECIMALS.get(key, 3))


def agreement(measured: float, reported: float, spread: float = 0.0, tolerance: float = 0.03,
              against: str = "the paper") -> str:
    """How a measured fraction compares with a reported one: "within ...% of <against>" when the gap is at most
    ``tolerance`` (or twice the larger standard deviation, when known), else so many points above or below."""
    gap = measured - reported
    allowed = max(tolerance, 2 * spread)
    if abs(gap) <= allowed:
        return f"within {allowed:.0%} of {against}"
    return f"{abs(gap) * 100:.1f} points {'above' if gap > 0 else 'below'} {against}"


def paper_comparison(results_folder: str | os.PathLike | None = None) -> pd.DataFrame:
    """Every number the paper reports (``PAPER``) beside this book's value, read from the chapters' results files
    in ``results_folder`` (default :func:`results_dir`; chapters not executed yet are left out): the quantity, the
    paper's value, ours with its spread, the data set, profile and runs, the row of the paper's table it is set
    against, and a verdict from :func:`agreement`. Raises ValueError when ``results_folder`` is not a folder."""
    rows = []
    if results_folder is not None and not (isinstance(results_folder, (str, os.PathLike))
                                           and Path(results_folder).is_dir()):
        raise ValueError(f"results_dir must be None or a folder of results files, got {results_folder!r}.")
    directory = Path(results_folder) if results_folder is not None else results_dir()
    if (directory / "exp1_2.json").exists():
        r = load("exp1_2", directory)
        rows.append({"experiment": "1.2", "quantity": "classifier, held-out test accuracy",
                     "paper": PAPER["exp1_2"]["classifier"], "ours": r["classifier"]["test_accuracy"],
                     "spread": "", "runs": 1, "dataset": r["dataset"], "profile": r["profile"]})
        # one value per seed where the chapter trains several (the mean over its resamplings), else per resampling
        over = "seeds" if "seeds" in r else "resamplings"
        for test, scores in r["models"]["AuxVAE"]["scores"].items():
            rows.append({"experiment": "1.2", "quantity": f"classifier on decodes: {test}",
                         "paper": PAPER["exp1_2"][test], "ours": scores["mean"],
                         "spread": f"{scores['min']:.1%} to {scores['max']:.1%} over {len(scores['values'])} {over}",
                         "runs": len(r.get("seeds", [0])), "dataset": r["dataset"], "profile": r["profile"]})
    if (directory / "exp2_1.json").exists():
        r = load("exp2_1", directory)
        for method, ref in PAPER["exp2_1"].items():
            metric = "acc" if "acc" in ref else "hungarian"
            ours = r["rows"].get(f"AuxGMVAE (k = {ref['k']})")
            if ours is None:
                continue
            values = [s[metric] for s in ours["scores"]]
            kind = "many-to-one" if metric == "acc" else "one-to-one (Hungarian)"
            rows.append({"experiment": "2.1", "quantity": f"{kind} ACC at k = {ref['k']}", "against": method,
                         "paper": ref[metric][0], "paper_std": ref[metric][1], "ours": float(np.mean(values)),
                         "ours_std": float(np.std(values)), "spread": f"± {np.std(values):.1%} over the runs",
                         "runs": len(values), "dataset": r["dataset"], "profile": r["profile"]})
    table = pd.DataFrame(rows)
    if len(table):
        table["against"] = table["against"].fillna("the paper") if "against" in table else "the paper"
        spread = table.reindex(columns=["paper_std", "ours_std"]).fillna(0).max(axis=1)
        table["verdict"] = [agreement(row["ours"], row["paper"], s, against=row["against"])
                            for (_, row), s in zip(table.iterrows(), spread)]
    return table


def compute_table(directory: str | os.PathLike | None = None, chapters: Sequence[str] | None = None
                  ) -> pd.DataFrame:
    """Per chapter results file: the profile it was executed at, how long that execution took and the training
    time of the runs it used by their records (each as :func:`duration` text; empty where not recorded); then
    one column per timing file (:func:`auxlib.book.time_chapters`) with the chapter's time on a fresh run cache at that
    profile. ``chapters`` gives the order (and selection) of the rows; by default all files, sorted by name."""
    directory = Path(directory) if directory is not None else results_dir()
    timings = {p.stem[len(TIMINGS):]: load(p.stem, directory)["seconds"]
               for p in sorted(directory.glob(f"{TIMINGS}*.json"))}
    names = chapters if chapters is not None else sorted(p.stem for p in directory.glob("*.json")
                                                         if not p.stem.startswith(TIMINGS))
    rows = {}
    for name in names:
        if name == "results" or not (directory / f"{name}.json").exists():  # the results page, or not run yet
            continue
        r = load(name, directory)
        trained = r.get("train_seconds")
        trained = sum(trained.values()) if isinstance(trained, dict) else trained
        rows[name] = {"profile": r.get("profile", ""),
                      "execution": duration(r["elapsed_seconds"]) if "elapsed_seconds" in r else "",
                      "training of its runs": duration(trained) if trained is not None else "",
                      **{f"{profile}, fresh cache": duration(seconds[name]) if name in seconds else ""
                         for profile, seconds in timings.items()}}
    columns = ["profile", "execution", "training of its runs", *(f"{p}, fresh cache" for p in timings)]
    return pd.DataFrame.from_dict(rows, orient="index", columns=columns)


#: Timing files are ``<results>/timings_<profile>.json`` (written by :func:`auxlib.book.time_chapters`).
TIMINGS = "timings_"


def duration(seconds: float) -> str:
    """A time span as prose: seconds below two minutes, then minutes, then hours."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} minutes"
    return f"{seconds / 3600:.1f} hours"
