"""Tables and sentences the chapters share: mean ± spread cells, the clustering table of Experiment 2.1, what a
chapter's runs cost (the results page's compute table, each chapter's closing sentence), and the small pieces the
chapters' sentences are built from (a list as prose, a checklist, which setting a chapter's models use)."""

from __future__ import annotations

import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..training.store import Record, Run, find_record
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


#: A run key as :meth:`auxlib.config.RunConfig.key` writes it: 16 hexadecimal digits.
RUN_KEY = re.compile(r"[0-9a-f]{16}")


@dataclass(frozen=True)
class RunTime:
    """One training of a run, as a chapter's results and the run's record tell it: the run key (None when the
    results name the run otherwise and no record matches), the wall clock in seconds, and the CPU time in seconds
    and the runs that shared the machine with it (:class:`auxlib.store.Record`; None when not recorded)."""

    key: str | None
    seconds: float
    cpu_seconds: float | None = None
    shared_by: int | None = None


def chapter_runs(result: dict[str, Any], kept: Sequence[str | os.PathLike] = (),
                 root: str | os.PathLike | None = None) -> list[RunTime]:
    """Every run a chapter's results (``result``, :func:`auxlib.results.load`) say it used or studied: the entries
    of its ``train_seconds`` (a number for one run, or a dict by run key or by name), then every run key written
    anywhere else in the results whose record is found (:func:`auxlib.store.find_record` in the ``kept`` folders,
    then the run cache of ``root``): the sweeps and long runs whose curves a chapter reads from their records.

    An entry by name takes the key, named elsewhere in the results, of the run whose record has its seconds. The
    wall clock is the results'; the CPU time and sharing come from the record only when its seconds are the
    results' too, since otherwise it is the record of a later training of the same config. When an entry by name
    matches no key, the runs named only elsewhere are left out: one of them may be that entry trained again.
    """
    trained = result.get("train_seconds")
    entries = trained if isinstance(trained, dict) else {} if trained is None else {"": trained}
    records = {key: find_record(key, kept, root) for key in dict.fromkeys(_run_keys(result))}
    runs: dict[str, RunTime] = {}
    anonymous: list[RunTime] = []
    for name, seconds in entries.items():
        key = name if RUN_KEY.fullmatch(name) else next(
            (k for k, r in records.items() if r is not None and math.isclose(r.seconds, seconds, rel_tol=1e-9)), None)
        record = records.get(key) if key is not None else None
        if record is not None and math.isclose(record.seconds, seconds, rel_tol=1e-9):
            run = RunTime(key, float(seconds), record.cpu_seconds, record.shared_by)
        else:
            run = RunTime(key, float(seconds))
        if key is None:
            anonymous.append(run)
        else:
            runs.setdefault(key, run)  # two names of one run count once
    if not anonymous:
        runs.update({k: RunTime(k, r.seconds, r.cpu_seconds, r.shared_by) for k, r in records.items()
                     if r is not None and k not in runs})
    return [*runs.values(), *anonymous]


def _run_keys(value: Any) -> list[str]:
    """Every string in a results dict (keys and values, at any depth) that has the form of a run key."""
    if isinstance(value, dict):
        return [k for item in value.items() for k in _run_keys(list(item))]
    if isinstance(value, list):
        return [k for item in value for k in _run_keys(item)]
    return [value] if isinstance(value, str) and RUN_KEY.fullmatch(value) else []


def unique_runs(runs: Sequence[RunTime]) -> list[RunTime]:
    """``runs`` with each training once, as a book total counts them: the same key with the same seconds is one
    training, and so is a run without a key whose seconds are those of a run with one (a float of seconds repeats
    only when it was copied from the same record). Entries with CPU time are kept over those without."""
    ordered = sorted(runs, key=lambda r: (r.key is None, r.cpu_seconds is None))
    seen: set[tuple[str | None, float]] = set()
    once = []
    for run in ordered:
        same = (run.key, run.seconds) in seen or (run.key is None and any(s == run.seconds for _, s in seen))
        if not same:
            seen.add((run.key, run.seconds))
            once.append(run)
    return once


def _cpu_cell(runs: Sequence[RunTime]) -> str:
    """The CPU time of ``runs`` as :func:`duration` text, saying how many of them recorded it when not all did."""
    measured = [r.cpu_seconds for r in runs if r.cpu_seconds is not None]
    if not measured:
        return ""
    share = f" ({len(measured)} of {len(runs)} runs)" if len(measured) < len(runs) else ""
    return duration(sum(measured)) + share


def compute_table(directory: str | os.PathLike | None = None, chapters: Sequence[str] | None = None, *,
                  root: str | os.PathLike | None = None, total: bool = False) -> pd.DataFrame:
    """Per chapter results file: the profile it was executed at, how long that execution took and the training
    time of every run it used or studied (:func:`chapter_runs`, with the records kept in ``<directory>/records``
    and the run cache of ``root``), each as :func:`duration` text, empty where not recorded; then one column per
    timing file (:func:`auxlib.book.time_chapters`) with the chapter's time on a fresh run cache at that profile.
    ``chapters`` gives the order (and selection) of the rows; by default all files, sorted by name.

    The training time is the runs' wall clock, in which runs trained side by side each count the time of all of
    them: where any run recorded its CPU time (:class:`auxlib.store.Record`), a column "CPU time of its runs" sums
    it (saying how many runs did when not all did), else the wall clock's heading says it is shared. Runs shared
    between chapters count in each chapter; with ``total``, a last row "book" sums the executions and the fresh
    cache timings (saying how many chapters were timed when not all were), and counts each run once
    (:func:`unique_runs`)."""
    directory = Path(directory) if directory is not None else results_dir()
    timings = {p.stem[len(TIMINGS):]: load(p.stem, directory)["seconds"]
               for p in sorted(directory.glob(f"{TIMINGS}*.json"))}
    names = chapters if chapters is not None else sorted(p.stem for p in directory.glob("*.json")
                                                         if not p.stem.startswith((TIMINGS, THROUGHPUT)))
    found: dict[str, tuple[dict[str, Any], list[RunTime]]] = {}
    for name in names:
        if name == "results" or not (directory / f"{name}.json").exists():  # the results page, or not run yet
            continue
        r = load(name, directory)
        found[name] = r, chapter_runs(r, [directory / "records"], root)
    cpu = any(run.cpu_seconds is not None for _, runs in found.values() for run in runs)
    wall = f"training of its runs (wall clock{'' if cpu else ', shared'})"
    fresh = {profile: f"{profile}, fresh cache" for profile in timings}

    def row(profiles: set[str], elapsed: list[float], runs: list[RunTime], chapters: list[str]) -> dict[str, str]:
        cells = {"profile": ", ".join(sorted(profiles)), "execution": duration(sum(elapsed)) if elapsed else "",
                 wall: duration(sum(r.seconds for r in runs)) if runs else ""}
        if cpu:
            cells["CPU time of its runs"] = _cpu_cell(runs)
        for profile, seconds in timings.items():
            timed = [seconds[c] for c in chapters if c in seconds]
            share = f" ({len(timed)} of {len(chapters)} chapters)" if 0 < len(timed) < len(chapters) else ""
            cells[fresh[profile]] = duration(sum(timed)) + share if timed else ""
        return cells

    rows = {name: row({r["profile"]} if r.get("profile") else set(),
                      [r["elapsed_seconds"]] if "elapsed_seconds" in r else [], runs, [name])
            for name, (r, runs) in found.items()}
    if total and found:
        every = [run for _, runs in found.values() for run in runs]
        rows["book"] = row({r["profile"] for r, _ in found.values() if r.get("profile")},
                           [r["elapsed_seconds"] for r, _ in found.values() if "elapsed_seconds" in r],
                           unique_runs(every), list(found))
    columns = ["profile", "execution", wall, *(["CPU time of its runs"] if cpu else []), *fresh.values()]
    return pd.DataFrame.from_dict(rows, orient="index", columns=columns)


def _throughput_cell(run: dict[str, Any], step: str, medians: dict[str, float]) -> str:
    m, naive = medians[step], next(iter(medians.values()))  # (a), the first step timed
    theirs = next((v for name, v in medians.items() if name.startswith("(s)")), None)
    text = f"{m:,.0f} img/s ({m / naive:.2f}x" + (f" (a), {m / theirs:.2f}x (s))" if theirs else ")")
    if "peak_gflops" in run:
        precision = run["precision"][step]
        text += f", {m * run['flops_per_image'] / 1e9 / run['peak_gflops'][precision]:.0%} of the {precision} peak"
    return text + ("; out of the box" if run.get("auto") == step else "")


def throughput_table(directory: str | os.PathLike | None = None) -> pd.DataFrame:
    """The training throughput measured by ``benchmarks/throughput.py`` (its files in ``directory``, default
    :func:`auxlib.results.results_dir`): one row per step variant, one column per network and device, each the
    median images/s with its ratio to the naive port's (a) median and, where the file holds them, to [SPLIT]'s
    TF2 step's (s) and the share of the machine's matrix-multiply peak in the step's precision that its FLOPs
    reach (products only, so a lower bound), and "out of the box" on the step ``precision="auto"`` trains on
    that machine; where the file holds it, a last row (:data:`SCORES_ROW`) gives the share of a run's time that
    its training-time scores take at that step's speed. Empty when no benchmark was saved."""
    columns = {}
    for path in sorted(Path(directory if directory is not None else results_dir()).glob(f"{THROUGHPUT}*.json")):
        run = load(path.stem, path.parent)
        medians = {step: float(np.median(v)) for step, v in run["images_per_second"].items()}
        heading = f"{run.get('model', 'AuxVAE')}, {run['arch']}, {run['parameters']:,} parameters ({run['device']})"
        columns[heading] = {step: _throughput_cell(run, step, medians) for step in medians}
        if "score_share" in run:
            columns[heading][SCORES_ROW] = f"{run['score_share']:.1%} of a run's time ({run['score_setting']})"
    table = pd.DataFrame(columns).fillna("")
    return table.loc[[*table.index.drop(SCORES_ROW, errors="ignore"), *table.index.intersection([SCORES_ROW])]]


#: The row of :func:`throughput_table` that gives the share of a run's time its training-time scores take.
SCORES_ROW = "training-time scores"


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


def series(items: Sequence[str], conjunction: str = "and") -> str:
    """``a``, ``a and b``, ``a, b and c`` (or ``a, b or c``): a list as a sentence names it."""
    items = list(items)
    return "".join(items) if len(items) < 2 else ", ".join(items[:-1]) + f" {conjunction} " + items[-1]


def checklist(checks: dict[str, bool]) -> str:
    """A Markdown list with one line per check: "- <name>: met", or "**missed**"."""
    return "\n".join(f"- {name}: {'met' if ok else '**missed**'}" for name, ok in checks.items())

def lower_first(text: str) -> str:
    """``text`` with its first letter in lower case, to continue a sentence with another sentence's words."""
    return text[:1].lower() + text[1:]

def uses_setting(models: str, chosen: str, adopted: str | None, study: str) -> str:
    """Whether ``models`` train the setting a study chose: ``adopted`` is the setting they train, None for none."""
    if adopted is None:
        return f"{models} use none of the settings of {study}."
    if adopted == chosen:
        return f"{models} use the chosen setting, **{chosen}**."
    return f"{models} use another setting of {study}: {adopted}."
