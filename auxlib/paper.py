"""What the paper reports and how this book's numbers compare with it: the results page."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .results import load, results_dir

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
#: Two fractions agree when they differ by at most this much, or by twice the larger standard deviation over runs
#: when that is larger.
TOLERANCE = 0.03


def agrees(measured: float, reported: float, spread: float = 0.0, tolerance: float = TOLERANCE) -> bool:
    """Whether a measured fraction agrees with a reported one: their gap is at most ``tolerance``, or twice the
    larger standard deviation over runs (``spread``) when that is larger."""
    return abs(measured - reported) <= max(tolerance, 2 * spread)


def agreement(measured: float, reported: float, spread: float = 0.0, tolerance: float = TOLERANCE,
              against: str = "the paper") -> str:
    """How a measured fraction compares with a reported one, as the results page writes it: "within ...% of
    <against>" when they agree (:func:`agrees`), else so many points above or below."""
    gap = measured - reported
    if agrees(measured, reported, spread, tolerance):
        return f"within {max(tolerance, 2 * spread):.0%} of {against}"
    return f"{abs(gap) * 100:.1f} points {'above' if gap > 0 else 'below'} {against}"


def comparison(results_folder: str | os.PathLike | None = None) -> pd.DataFrame:
    """Every number the paper reports (:data:`PAPER`) beside this book's value, read from the chapters' results
    files in ``results_folder`` (default :func:`auxlib.results.results_dir`; chapters not executed yet are left
    out): the quantity, the paper's value, ours with its spread, the data set, profile and runs, the row of the
    paper's table it is set against, whether they agree (:func:`agrees`) and a verdict from :func:`agreement`.
    Raises ValueError when ``results_folder`` is not a folder."""
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
        table["agrees"] = [agrees(row["ours"], row["paper"], s) for (_, row), s in zip(table.iterrows(), spread)]
        table["verdict"] = [agreement(row["ours"], row["paper"], s, against=row["against"])
                            for (_, row), s in zip(table.iterrows(), spread)]
    return table

