"""What the paper reports, what the chapters found, and how the two compare: the results page.

A chapter whose numbers the results page sets against the paper's writes them as a typed record
(:class:`DecodeFindings` for Experiment 1.2, :class:`ClusterFindings` for Experiment 2.1) under the key
``findings`` of its results file; :func:`read_findings` reads it back into the same class, so a field renamed on
one side fails when it is read instead of dropping a row.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import numpy as np
import pandas as pd

from ..analysis.latents import RESAMPLED
from .results import results_dir

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


@dataclass(frozen=True)
class DecodeFindings:
    """Experiment 1.2 (the paper's Fig. 3): how well a classifier reads three decodes of held-out test images.

    Attributes:
        dataset: the data set of the test images.
        profile: the profile the chapter was executed at.
        classifier_accuracy: the fraction of all held-out test images the classifier labels correctly.
        decodes: for each decode of :data:`auxlib.latents.RESAMPLED` (its name), the classifier's accuracy on it,
            one value per seed of the AuxVAE (each the mean over the prior resamplings).
    """

    CHAPTER: ClassVar[str] = "exp1_2"
    dataset: str
    profile: str
    classifier_accuracy: float
    decodes: dict[str, list[float]]

    def __post_init__(self) -> None:
        if set(self.decodes) != set(RESAMPLED) or not all(len(v) for v in self.decodes.values()):
            raise ValueError(f"decodes must hold a non-empty list for each of {', '.join(RESAMPLED)}, got "
                             f"{sorted(self.decodes)}.")


@dataclass(frozen=True)
class ClusterFindings:
    """Experiment 2.1 (the paper's Table 1): how well the AuxGMVAE's clusters, argmax q(y | x) on held-out test
    images, follow the digit.

    Attributes:
        dataset: the data set of the test images.
        profile: the profile the chapter was executed at.
        auxgmvae: for each number of clusters k, one :func:`auxlib.metrics.clustering_scores` dict per run (seed),
            with at least ``acc`` (many-to-one) and ``hungarian`` (one-to-one) accuracy.
    """

    CHAPTER: ClassVar[str] = "exp2_1"
    dataset: str
    profile: str
    auxgmvae: dict[int, list[dict[str, float]]]

    def __post_init__(self) -> None:
        object.__setattr__(self, "auxgmvae", {int(k): list(v) for k, v in self.auxgmvae.items()})  # JSON keys
        if not all(runs and all({"acc", "hungarian"} <= set(s) for s in runs) for runs in self.auxgmvae.values()):
            raise ValueError("auxgmvae must map each k to a non-empty list of scores with acc and hungarian, got "
                             f"{self.auxgmvae!r}.")


Findings = TypeVar("Findings", DecodeFindings, ClusterFindings)


def read_findings(kind: type[Findings], directory: str | os.PathLike | None = None) -> Findings | None:
    """The findings of ``kind`` from its chapter's results file in ``directory`` (default
    :func:`auxlib.results.results_dir`); None when the chapter has not been executed there.

    Raises:
        ValueError: when the file holds no findings of that form (it was written by other code: execute the
            chapter again).
    """
    path = (Path(directory) if directory is not None else results_dir()) / f"{kind.CHAPTER}.json"
    if not path.exists():
        return None
    stored = json.loads(path.read_text()).get("findings")
    names = {f.name for f in dataclasses.fields(kind)}
    if not isinstance(stored, dict) or set(stored) != names:
        raise ValueError(f"{path} must hold findings with fields {', '.join(sorted(names))}, got "
                         f"{sorted(stored) if isinstance(stored, dict) else stored!r}; execute {kind.CHAPTER} again.")
    return kind(**stored)


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


def comparison(directory: str | os.PathLike | None = None) -> pd.DataFrame:
    """Every number the paper reports of its own method (:data:`PAPER`; the methods its Table 1 cites are not
    claims of the paper and are left out) beside this book's, read from the chapters' findings in
    ``directory`` (default :func:`auxlib.results.results_dir`; chapters not executed yet are left out): the
    quantity, the paper's value, ours with its spread, the data set, profile and runs, what it is set against,
    whether they agree (:func:`agrees`) and a verdict from :func:`agreement`.

    Raises:
        ValueError: when ``directory`` is not a folder.
    """
    if directory is not None and not (isinstance(directory, (str, os.PathLike)) and Path(directory).is_dir()):
        raise ValueError(f"results_dir must be None or a folder of results files, got {directory!r}.")
    rows = []
    decodes = read_findings(DecodeFindings, directory)
    if decodes is not None:
        where = {"dataset": decodes.dataset, "profile": decodes.profile}
        rows.append({"experiment": "1.2", "quantity": "classifier, held-out test accuracy",
                     "paper": PAPER["exp1_2"]["classifier"], "ours": decodes.classifier_accuracy, "spread": "",
                     "runs": 1, **where})
        for test, values in decodes.decodes.items():
            rows.append({"experiment": "1.2", "quantity": f"classifier on decodes: {test}",
                         "paper": PAPER["exp1_2"][test], "ours": float(np.mean(values)),
                         "spread": f"{min(values):.1%} to {max(values):.1%} over {len(values)} seeds",
                         "runs": len(values), **where})
    clusters = read_findings(ClusterFindings, directory)
    if clusters is not None:
        # only the paper's own row of Table 1 is a claim; the methods it cites are not (DEC's 11.9% failed)
        for ref in (ref for ref in PAPER["exp2_1"].values() if "acc" in ref):
            if ref["k"] not in clusters.auxgmvae:
                continue
            values = [s["acc"] for s in clusters.auxgmvae[ref["k"]]]
            rows.append({"experiment": "2.1", "quantity": f"many-to-one ACC at k = {ref['k']}",
                         "paper": ref["acc"][0], "paper_std": ref["acc"][1], "ours": float(np.mean(values)),
                         "ours_std": float(np.std(values)), "spread": f"± {np.std(values):.1%} over the runs",
                         "runs": len(values), "dataset": clusters.dataset, "profile": clusters.profile})
    table = pd.DataFrame(rows)
    if len(table):
        table["against"] = table["against"].fillna("the paper") if "against" in table else "the paper"
        spread = table.reindex(columns=["paper_std", "ours_std"]).fillna(0).max(axis=1)
        table["agrees"] = [agrees(row["ours"], row["paper"], s) for (_, row), s in zip(table.iterrows(), spread)]
        table["verdict"] = [agreement(row["ours"], row["paper"], s, against=row["against"])
                            for (_, row), s in zip(table.iterrows(), spread)]
    return table
