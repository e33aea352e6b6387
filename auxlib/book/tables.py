"""Tables and sentences the chapters share: mean ± spread cells, the clustering table of Experiment 2.1, and what
a chapter's runs cost (the results page's compute table, each chapter's closing sentence)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..training.store import Record, Run
from .results import THROUGHPUT, TIMINGS, load, results_dir

#: The columns of the clustering table: score key in :func:`auxlib.metrics.clustering_scores` -> heading.
SCORE_COLUMNS = {"acc": "many-to-one ACC", "hungarian": "Hungarian ACC", "nmi": "NMI", "ari": "ARI",
                 "nmi_polarity": "NMI polarity", "clusters_used": "clusters used"}
#: Columns written as percentages, and columns written with other than 3 decimals.
_PERCENT_COLUMNS = {"acc", "hungarian"}
_DECIMALS = {"clusters_used": 1}


def mean_std(values: Sequence[float], percent: bool = True, decimals: int = 3) -> str:
    """Mean and standard deviation (over runs) as text, e.g. "58.2% ± 5.6%" (or with ``decimals`` decimals when not
    ``percent``); the mean alone for one value."""
    form = "{:.1%}" if percent else f"{{:.{decimals}f}}"
    text = form.format(float(np.mean(values)))
    return text + (" ± " + form.format(float(np.std(values))) if len(values) > 1 else "")


def over_seeds(tables: Sequence[pd.DataFrame]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The mean and the standard deviation (over seeds, as :func:`mean_std`) of each cell of ``tables``: one
    table per seed, with one row per setting and the same settings in each, in the first table's order. Raises
    ValueError when the tables hold different settings."""
    if not tables or any(set(t.index) != set(tables[0].index) for t in tables):
        raise ValueError("tables must be one or more tables of the same settings, one per seed.")
    stacked = pd.concat(list(tables), keys=range(len(tables))).astype(float).groupby(level=1)
    order = tables[0].index
    return stacked.mean().loc[order], stacked.std(ddof=0).loc[order]


def plus_minus(mean: pd.DataFrame, sd: pd.DataFrame, decimals: int = 2) -> pd.DataFrame:
    """Each cell of ``mean`` beside its cell of ``sd`` (the tables of :func:`over_seeds`) as text, e.g.
    "0.41 ± 0.03"."""
    form = f"{{:.{decimals}f}} ± {{:.{decimals}f}}"
    return pd.DataFrame({c: [form.format(m, s) for m, s in zip(mean[c], sd.loc[mean.index, c])]
                         for c in mean.columns}, index=mean.index)


def clustering_table(rows: dict[str, tuple[int, list[dict[str, float]]]],
                     paper: dict[str, dict[str, Any]] | None = None, dataset: str | None = None,
                     paper_dataset: str = "SVHN") -> pd.DataFrame:
    """Table 1 of Experiment 2.1: one row per method with k, the number of runs and every score as mean ± std.

    Args:
        rows: method name -> (k, one :func:`auxlib.metrics.clustering_scores` dict per run).
        paper: reported rows in the form of ``PAPER["exp2_1"]``, appended with ", as reported".
        dataset: the data set of ``rows``; given, a first column "data" names it for ours and ``paper_dataset``
            for the reported rows, which were measured on another data set when the two differ.

    A score no row has (NMI polarity without synth-svhn's factors) gets no column.
    """
    ours = {} if dataset is None else {"data": dataset}
    theirs = {} if dataset is None else {"data": paper_dataset}
    lines = {name: {**ours, "k": k, "runs": len(scores),
                    **{head: _column(scores, key) for key, head in SCORE_COLUMNS.items()}}
             for name, (k, scores) in rows.items()}
    for name, ref in (paper or {}).items():
        lines[f"{name}, as reported"] = {**theirs, "k": ref["k"], "runs": ref.get("runs", ""),
                                         **{head: f"{ref[key][0]:.1%} ± {ref[key][1]:.1%}"
                                            for key, head in SCORE_COLUMNS.items() if key in ref}}
    table = pd.DataFrame(lines).T.fillna("")
    return table.loc[:, (table != "").any()]


def _column(scores: list[dict[str, float]], key: str) -> str:
    """One cell of the clustering table: the mean ± std of ``key`` over runs, empty where runs lack it."""
    if not all(key in s for s in scores):
        return ""
    return mean_std([s[key] for s in scores], percent=key in _PERCENT_COLUMNS, decimals=_DECIMALS.get(key, 3))


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
                                                         if not p.stem.startswith((TIMINGS, THROUGHPUT)))
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


def throughput_table(directory: str | os.PathLike | None = None) -> pd.DataFrame:
    """The training throughput measured by ``benchmarks/throughput.py`` (its files in ``directory``, default
    :func:`auxlib.results.results_dir`): one row per step variant, one column per architecture and device, each
    the median images/s with the ratio to the naive port's (a) median; empty when no benchmark was saved."""
    columns = {}
    for path in sorted(Path(directory if directory is not None else results_dir()).glob(f"{THROUGHPUT}*.json")):
        run = load(path.stem, path.parent)
        medians = {step: float(np.median(v)) for step, v in run["images_per_second"].items()}
        naive = next(iter(medians.values()))  # (a), the first step timed
        heading = f"{run['arch']}, {run['parameters']:,} parameters ({run['device']})"
        columns[heading] = {step: f"{m:,.0f} img/s ({m / naive:.2f}x)" for step, m in medians.items()}
    return pd.DataFrame(columns)


def duration(seconds: float) -> str:
    """A time span as prose: seconds below two minutes, then minutes, then hours."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} minutes"
    return f"{seconds / 3600:.1f} hours"


def compute_sentence(elapsed: float, runs: dict[str, Sequence[Run | Record]], shared: str = "") -> str:
    """The closing sentence of a chapter: what its runs took to train, by their records, per group (a group's name
    reads after its count, e.g. ``{"runs this chapter uses": [...], "runs of the sweep": [...]}``; runs with the
    same config count once), ``shared`` (which runs other chapters use too), and how long this execution took
    (``elapsed`` seconds)."""
    parts: list[str] = []
    for name, group in runs.items():
        unique = {r.config.key(): r.seconds for r in group}
        parts.append(f"the {len(unique)} {name} {'took ' if not parts else ''}{duration(sum(unique.values()))}"
                     + (" of training" if not parts else ""))
    text = ", ".join(parts)
    text = text[:1].upper() + text[1:] + ", by their records in the run cache" + (f" ({shared})" if shared else "")
    return text + f". This execution of the chapter took {duration(elapsed)}, runs found in the cache included."
