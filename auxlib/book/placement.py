"""Where each true factor lives in a trained model: probes from z_g and from z_l, a placement score, and MIG.

A probe (:mod:`auxlib.probes`) is fitted on the codes of some images and scored on the codes of others, once per
factor and latent part. Discrete factors are scored by accuracy rescaled so that 0 is the majority guess and 1 is
perfect; continuous factors by R^2 (0 is the mean guess, 1 is perfect). Both kinds of score thus read alike, and a
score near 0 means the part holds nothing a probe can find about the factor.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch
from sklearn.metrics import mutual_info_score

from ..analysis import latents
from ..analysis.probes import PROBES, active_units, probe_score
from ..data import ImageSet, synth_svhn, to_tensor
from ..data.factors import chroma, discretise, scalar_factors
from ..model.config import RunConfig
from ..model.models import AuxVAE
from .profiles import experiment

#: The data sets that record every image's true factors, which placement is measured against.
FACTOR_DATASETS = ("synth-svhn",)


def check_dataset(dataset: str) -> None:
    """Raise a ValueError unless ``dataset`` records true factors (see :data:`FACTOR_DATASETS`)."""
    if dataset not in FACTOR_DATASETS:
        raise ValueError(f"dataset must be {' or '.join(FACTOR_DATASETS)}, a data set that records the true factors "
                         f"of its images, got {dataset!r}.")


def run_config(profile: str, dataset: str, patch_size: int = 1, beta: float = 1.0, seed: int = 0,
               transform: str = "shuffle", z_g: int | None = None, steps: int | None = None) -> RunConfig:
    """One run of the placement sweeps: Experiment 1's network at the ``placement`` profile. ``z_g`` moves the
    split of the latent between the parts while their total stays the profile's (256 at ``standard``)."""
    base = experiment("placement", profile, dataset=dataset).model
    total = base.z_g + base.z_l
    if z_g is not None and not (isinstance(z_g, int) and 0 < z_g < total):
        raise ValueError(f"z_g must be an integer between 1 and {total - 1} (the latent has {total} dims), "
                         f"got {z_g!r}.")
    sizes = {} if z_g is None else {"z_g": z_g, "z_l": total - z_g}
    return experiment("placement", profile, dataset=dataset, patch_size=patch_size, beta=beta, seed=seed,
                      transform=transform, steps=steps, **sizes)


Matrix = dict[str, dict[str, float]]


def probe_matrices(train_codes: dict[str, np.ndarray], train_factors: dict[str, np.ndarray],
                   test_codes: dict[str, np.ndarray], test_factors: dict[str, np.ndarray], probe: str = "linear",
                   names: Sequence[str] | None = None, seed: int = 0) -> tuple[Matrix, Matrix]:
    """Scores of ``probe`` for every factor (rows) from every latent part (columns, the keys of the code dicts,
    e.g. "z_g" and "z_l"), as two matrices from one fit: the chance-rescaled scores and the raw accuracies (R^2
    for continuous factors) of :func:`auxlib.probes.probe_score`. Colours are probed through their luma.
    Raises ValueError for names that are not factors, or an unknown probe."""
    train_f, test_f = scalar_factors(train_factors), scalar_factors(test_factors)
    names = list(names) if names is not None else list(train_f)
    unknown = sorted(set(names) - set(train_f))
    if unknown:
        raise ValueError(f"names must be factors of the data set ({', '.join(train_f)}), got {unknown}.")
    read = {name: {part: probe_score(train_codes[part], train_f[name], test_codes[part], test_f[name], probe, seed)
                   for part in train_codes} for name in names}
    return ({name: {part: s.score for part, s in row.items()} for name, row in read.items()},
            {name: {part: s.raw for part, s in row.items()} for name, row in read.items()})


def placement_matrix(train_codes: dict[str, np.ndarray], train_factors: dict[str, np.ndarray],
                     test_codes: dict[str, np.ndarray], test_factors: dict[str, np.ndarray],
                     probe: str = "linear", names: Sequence[str] | None = None) -> Matrix:
    """The chance-rescaled scores of :func:`probe_matrices`."""
    return probe_matrices(train_codes, train_factors, test_codes, test_factors, probe, names)[0]


def placement_score(matrix: dict[str, dict[str, float]], global_factors: Sequence[str],
                    local_factors: Sequence[str], parts: tuple[str, str] = ("z_g", "z_l")) -> float:
    """One number per model, higher for cleaner placement: the mean over global factors of (score from the
    global part - score from the local part) plus the mean over local factors of the reverse."""
    g, l = parts
    globals_ = [matrix[f][g] - matrix[f][l] for f in global_factors if f in matrix]
    locals_ = [matrix[f][l] - matrix[f][g] for f in local_factors if f in matrix]
    if not globals_ or not locals_:
        raise ValueError("the matrix must hold at least one global and one local factor.")
    return float(np.mean(globals_) + np.mean(locals_))


def group_scores(matrix: Matrix, parts: tuple[str, str] = ("z_g", "z_l")) -> dict[str, float]:
    """The placement score of each factor group of :data:`auxlib.synth_svhn.FACTOR_GROUPS` (a chroma factor
    belongs to its colour's group): the mean over the group's factors in ``matrix`` of the score from the part
    its kind belongs to (z_g for a global group) minus the score from the other. Groups with no factor in
    ``matrix`` are left out."""
    g, l = parts
    out = {}
    for group, members in synth_svhn.FACTOR_GROUPS.items():
        rows = [f for f in matrix if f.split(" ")[0] in members]
        if rows:
            sign = 1 if synth_svhn.FACTOR_KINDS[members[0]] == "global" else -1
            out[group] = float(np.mean([sign * (matrix[f][g] - matrix[f][l]) for f in rows]))
    return out


def mig(codes: np.ndarray, factors: dict[str, np.ndarray], bins: int = 20) -> tuple[float, dict[str, float]]:
    """Mutual information gap (Chen et al. 2018) of codes (n, d) against true factors, and its value per factor.

    Every code dimension is cut into ``bins`` equal-width bins and every factor into classes
    (:func:`auxlib.factors.discretise`); for each factor, the gap between the two code dimensions with the
    largest mutual information with it, divided by the factor's entropy. MIG is the mean over the factors.
    """
    codes = np.asarray(codes, dtype=np.float64)
    if codes.ndim != 2 or codes.shape[1] < 2:
        raise ValueError(f"codes must have shape (n, d) with d >= 2, got {codes.shape}.")
    binned = np.stack([np.digitize(c, np.histogram_bin_edges(c, bins)[1:-1]) for c in codes.T])
    per_factor = {}
    for name, values in discretise(factors).items():
        entropy = mutual_info_score(values, values)
        if entropy == 0:
            continue
        mi = np.sort([mutual_info_score(values, dim) for dim in binned])[::-1]
        per_factor[name] = float((mi[0] - mi[1]) / entropy)
    return float(np.mean(list(per_factor.values()))), per_factor


def factor_table(data: ImageSet) -> dict[str, np.ndarray]:
    """The true factors of a data set as probe targets: every recorded factor (colours as luma) plus the
    chroma of every colour (:func:`auxlib.factors.chroma`)."""
    if data.factors is None:
        raise ValueError("dataset must be one that records true factors (synth-svhn); this one has none.")
    return {**scalar_factors(data.factors), **chroma(data.factors)}


def factor_groups(names: Sequence[str]) -> dict[str, list[str]]:
    """synth-svhn's factors split into "global" (shape, identity, geometry) and "local" (colour, texture,
    photometry; chroma included), in the order of ``names``."""
    is_global = [n in synth_svhn.GLOBAL_FACTORS for n in names]
    return {"global": [n for n, g in zip(names, is_global) if g],
            "local": [n for n, g in zip(names, is_global) if not g]}


def measure(model: AuxVAE, fit: ImageSet, held: ImageSet, probes: Sequence[str] = PROBES,
            seed: int = 0, names: Sequence[str] | None = None) -> dict[str, Any]:
    """Probe a trained AuxVAE: codes (posterior means) of ``fit`` train the probes, codes of ``held`` score them.

    Returns ``{"matrix": {probe: placement matrix}, "raw": {probe: raw accuracies}, "active": {part: number of
    active units}, "mig": float, "mig_per_factor": {...}}``, MIG computed on the codes of ``held`` (z_g and z_l
    together). ``names`` limits the factors probed (all of :func:`factor_table` when None).
    """
    codes = {}
    for name, data in (("fit", fit), ("held", held)):
        both = latents.codes(model, to_tensor(data.images), "both", torch.Generator().manual_seed(seed))
        codes[name] = {"z_g": both[:, :model.config.z_g], "z_l": both[:, model.config.z_g:]}
    fit_f, held_f = factor_table(fit), factor_table(held)
    value, per_factor = mig(np.concatenate([codes["held"]["z_g"], codes["held"]["z_l"]], 1), held_f)
    read = {p: probe_matrices(codes["fit"], fit_f, codes["held"], held_f, p, names, seed) for p in probes}
    return {"matrix": {p: m for p, (m, _) in read.items()}, "raw": {p: r for p, (_, r) in read.items()},
            "active": {part: int(active_units(c).sum()) for part, c in codes["fit"].items()},
            "mig": value, "mig_per_factor": per_factor}


def summary(measured: dict[str, Any], groups: dict[str, Sequence[str]]) -> dict[str, float]:
    """The numbers that sum up one :func:`measure` result: the placement score of every probe measured
    (``"S (linear)"``, ``"S (knn)"``, ``"S (mlp)"``), ``"MIG"`` and, when the MLP probe was measured, the
    placement score of each factor group by it (``"S identity"``, ..., :func:`group_scores`)."""
    scores = {f"S ({probe})": placement_score(matrix, groups["global"], groups["local"])
              for probe, matrix in measured["matrix"].items()}
    by_group = group_scores(measured["matrix"]["mlp"]) if "mlp" in measured["matrix"] else {}
    return {**scores, "MIG": measured["mig"], **{f"S {group}": v for group, v in by_group.items()}}


def grid_tables(measured: dict[tuple[int, float], dict[str, object]], groups: dict[str, Sequence[str]]
                ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The placement score S (k-NN) and MIG of a patch size x beta sweep (``measured``: (n, beta) ->
    :func:`measure` result), each as a table with one row per patch size n and one column per beta."""
    index = pd.Index(sorted({n for n, _ in measured}), name="patch size n")
    columns = pd.Index(sorted({b for _, b in measured}), name="β")
    scores = pd.DataFrame([[summary(measured[n, b], groups)["S (knn)"] for b in columns] for n in index],
                          index=index, columns=columns)
    mig = pd.DataFrame([[measured[n, b]["mig"] for b in columns] for n in index], index=index, columns=columns)
    return scores, mig


def group_means(matrix: dict[str, dict[str, float]], groups: dict[str, Sequence[str]]) -> dict[str, float]:
    """Mean probe score of each factor group from each part, e.g. ``{"global from z_g": ..., ...}``."""
    return {f"{group} from {part}": float(np.mean([matrix[f][part] for f in names]))
            for group, names in groups.items() for part in next(iter(matrix.values()))}
