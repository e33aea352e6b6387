"""Where each true factor lives in a trained model: probes from z_g and from z_l, a placement score, and MIG.

A probe is fitted on the codes of train images and scored on the codes of test images, once per factor and
latent part. Discrete factors are scored by accuracy rescaled so that 0 is the majority guess and 1 is perfect;
continuous factors by R^2 (0 is the mean guess, 1 is perfect). Both kinds of score thus read alike, and a score
near 0 means the part holds nothing a probe can find about the factor.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import mutual_info_score, r2_score
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from . import latents, synth_svhn
from .config import RunConfig
from .data import ImageSet, to_tensor
from .factors import chroma, discretise, is_discrete, scalar_factors
from .profiles import experiment

#: The data sets that record every image's true factors, which placement is measured against.
FACTOR_DATASETS = ("synth-svhn",)

#: The probes: "linear" (logistic regression or ridge) and "knn" (k-nearest neighbours, k = 15), on
#: standardised codes.
PROBES = ("linear", "knn")


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


def _probe(kind: str, discrete: bool):
    if kind == "linear":
        model = LogisticRegression(max_iter=300) if discrete else Ridge(alpha=1.0)
    elif kind == "knn":
        model = KNeighborsClassifier(15) if discrete else KNeighborsRegressor(15)
    else:
        raise ValueError(f"probe must be one of {', '.join(PROBES)}, got {kind!r}.")
    return make_pipeline(StandardScaler(), model)


def probe_score(train_codes: np.ndarray, train_values: np.ndarray, test_codes: np.ndarray,
                test_values: np.ndarray, probe: str = "linear") -> float:
    """Held-out score of one probe predicting one factor from codes: chance-rescaled accuracy for a discrete
    factor (see :func:`auxlib.factors.is_discrete`), R^2 for a continuous one."""
    train_values, test_values = np.asarray(train_values), np.asarray(test_values)
    discrete = is_discrete(np.concatenate([train_values, test_values]))
    model = _probe(probe, discrete)
    if discrete:
        classes, counts = np.unique(train_values, return_counts=True)
        guess = np.mean(test_values == classes[counts.argmax()])  # accuracy of always naming the majority
        if len(classes) < 2 or guess == 1:
            return 0.0  # a factor that does not vary has nothing to find
    predicted = model.fit(train_codes, train_values).predict(test_codes)
    if not discrete:
        return float(r2_score(test_values, predicted))
    return float((np.mean(predicted == test_values) - guess) / (1 - guess))


def placement_matrix(train_codes: dict[str, np.ndarray], train_factors: dict[str, np.ndarray],
                     test_codes: dict[str, np.ndarray], test_factors: dict[str, np.ndarray],
                     probe: str = "linear", names: Sequence[str] | None = None) -> dict[str, dict[str, float]]:
    """Scores of ``probe`` for every factor (rows) from every latent part (columns, the keys of the code dicts,
    e.g. "z_g" and "z_l"). Colours are probed through their luma."""
    train_f, test_f = scalar_factors(train_factors), scalar_factors(test_factors)
    names = list(names) if names is not None else list(train_f)
    unknown = sorted(set(names) - set(train_f))
    if unknown:
        raise ValueError(f"names must be factors of the data set ({', '.join(train_f)}), got {unknown}.")
    return {name: {part: probe_score(train_codes[part], train_f[name], test_codes[part], test_f[name], probe)
                   for part in train_codes} for name in names}


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


def measure(model: torch.nn.Module, fit: ImageSet, held: ImageSet, probes: Sequence[str] = PROBES,
            seed: int = 0) -> dict[str, object]:
    """Probe a trained AuxVAE: codes (posterior means) of ``fit`` train the probes, codes of ``held`` score them.

    Returns ``{"matrix": {probe: placement matrix}, "mig": float, "mig_per_factor": {...}}``, MIG computed on
    the codes of ``held`` (z_g and z_l together).
    """
    codes = {}
    for name, data in (("fit", fit), ("held", held)):
        both = latents.codes(model, to_tensor(data.images), "both", torch.Generator().manual_seed(seed))
        codes[name] = {"z_g": both[:, :model.config.z_g], "z_l": both[:, model.config.z_g:]}
    fit_f, held_f = factor_table(fit), factor_table(held)
    value, per_factor = mig(np.concatenate([codes["held"]["z_g"], codes["held"]["z_l"]], 1), held_f)
    return {"matrix": {p: placement_matrix(codes["fit"], fit_f, codes["held"], held_f, p) for p in probes},
            "mig": value, "mig_per_factor": per_factor}


def summary(measured: dict[str, object], groups: dict[str, Sequence[str]]) -> dict[str, float]:
    """The numbers that sum up one :func:`measure` result: the placement score of every probe measured
    (``"S (linear)"``, ``"S (knn)"``) and ``"MIG"``."""
    scores = {f"S ({probe})": placement_score(matrix, groups["global"], groups["local"])
              for probe, matrix in measured["matrix"].items()}
    return {**scores, "MIG": measured["mig"]}


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
