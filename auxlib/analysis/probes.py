"""Probes: how well a factor can be read from a latent code, fitted on some images and scored on others.

A probe sees only the *active units* of a code (Burda et al. 2016: dimensions whose posterior mean varies across
the fitting images by more than :data:`ACTIVE_VARIANCE`), standardised. A VAE leaves most of a large latent
inactive, its posterior means near 0; standardising those blows their noise up to the size of the real signal,
which hides the factor from a nearest-neighbour probe. Three probes read the active units: ``linear`` (logistic
or ridge regression), ``knn`` (15 nearest neighbours) and ``mlp`` (one hidden layer of 256 ReLU units, early
stopping on a tenth of the fitting images), which finds a factor a code holds nonlinearly.

Discrete factors are scored by accuracy, reported raw and rescaled so that 0 is the majority guess and 1 is
perfect; continuous factors by R^2 (0 is the mean guess). :func:`known_answers` holds each probe to codes that
carry a factor linearly, nonlinearly and not at all, beside many inactive units (tested, and shown in the book).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
from sklearn.compose import TransformedTargetRegressor
from sklearn.feature_selection import VarianceThreshold
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import r2_score
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from ..data.factors import is_discrete

#: The probes, from the weakest reader to the strongest.
PROBES = ("linear", "knn", "mlp")
#: A code dimension is active when the variance of its posterior mean across images exceeds this (Burda et al.
#: 2016, "Importance Weighted Autoencoders", section 5.2). The prior's variance is 1.
ACTIVE_VARIANCE = 0.01


class ProbeScore(NamedTuple):
    """One probe's reading of one factor from one code, on held-out images.

    ``score``: chance-rescaled accuracy (discrete factor) or R^2 (continuous); ``raw``: the accuracy itself, or
    R^2 again; ``chance``: the majority guess's accuracy on the held-out images (0 for a continuous factor)."""

    score: float
    raw: float
    chance: float


def active_units(codes: np.ndarray, threshold: float = ACTIVE_VARIANCE) -> np.ndarray:
    """Boolean mask (d,) of the dimensions of ``codes`` (n, d) whose variance across rows exceeds ``threshold``."""
    codes = np.asarray(codes, dtype=np.float64)
    if codes.ndim != 2:
        raise ValueError(f"codes must have shape (n, d), got {codes.shape}.")
    return codes.var(axis=0) > threshold


def make_probe(kind: str, discrete: bool, seed: int = 0):
    """The scikit-learn pipeline of probe ``kind`` (:data:`PROBES`): active units, standardised, then the
    classifier (``discrete``) or regressor. Raises ValueError for an unknown kind."""
    if kind == "linear":
        model = LogisticRegression(max_iter=500) if discrete else Ridge(alpha=1.0)
    elif kind == "knn":
        model = KNeighborsClassifier(15) if discrete else KNeighborsRegressor(15)
    elif kind == "mlp":
        options = dict(hidden_layer_sizes=(256,), early_stopping=True, max_iter=300, random_state=seed)
        model = (MLPClassifier(**options) if discrete
                 else TransformedTargetRegressor(MLPRegressor(**options), transformer=StandardScaler(),
                                                 check_inverse=False))
    else:
        raise ValueError(f"probe must be one of {', '.join(PROBES)}, got {kind!r}.")
    return make_pipeline(VarianceThreshold(ACTIVE_VARIANCE), StandardScaler(), model)


def probe_score(train_codes: np.ndarray, train_values: np.ndarray, test_codes: np.ndarray,
                test_values: np.ndarray, probe: str = "linear", seed: int = 0) -> ProbeScore:
    """Fit probe ``probe`` on (``train_codes`` (n, d), ``train_values`` (n,)) and score it on the test pair.

    A factor is discrete when :func:`auxlib.factors.is_discrete` says so. A factor that does not vary, or a code
    with no active unit, scores 0 (raw: the majority guess's accuracy): there is nothing to find."""
    train_values, test_values = np.asarray(train_values), np.asarray(test_values)
    discrete = is_discrete(np.concatenate([train_values, test_values]))
    chance = 0.0
    if discrete:
        classes, counts = np.unique(train_values, return_counts=True)
        chance = float(np.mean(test_values == classes[counts.argmax()]))
        if len(classes) < 2 or chance == 1:
            return ProbeScore(0.0, chance, chance)
    if not active_units(train_codes).any():
        return ProbeScore(0.0, chance if discrete else 0.0, chance)
    predicted = make_probe(probe, discrete, seed).fit(train_codes, train_values).predict(test_codes)
    if not discrete:
        r2 = float(r2_score(test_values, predicted))
        return ProbeScore(r2, r2, 0.0)
    raw = float(np.mean(predicted == test_values))
    return ProbeScore((raw - chance) / (1 - chance), raw, chance)


#: How :func:`toy_codes` holds its factor.
TOY_KINDS = ("linearly", "nonlinearly", "not at all")


def toy_codes(kind: str, n: int, seed: int = 0, inactive: int = 60) -> tuple[np.ndarray, np.ndarray]:
    """Codes (n, d) and a factor y (n,) of 5 classes, the codes holding y ``linearly`` (a noisy one-hot, d = 5),
    ``nonlinearly`` (the radius of a point at a random angle, d = 2: rings no line separates) or ``not at all``
    (5 standard normals), followed by ``inactive`` units whose values barely vary (variance 1e-6), as a large
    VAE latent leaves most of its dimensions. Raises ValueError for another kind."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 5, n)
    if kind == "linearly":
        held = np.eye(5)[y] * 2 + 0.3 * rng.normal(size=(n, 5))
    elif kind == "nonlinearly":
        angle = rng.uniform(0, 2 * np.pi, n)
        radius = 1 + y + 0.1 * rng.normal(size=n)
        held = np.stack([radius * np.cos(angle), radius * np.sin(angle)], 1)
    elif kind == "not at all":
        held = rng.normal(size=(n, 5))
    else:
        raise ValueError(f"kind must be one of {', '.join(TOY_KINDS)}, got {kind!r}.")
    return np.c_[held, 1e-3 * rng.normal(size=(n, inactive))], y


def known_answers(n_fit: int = 1500, n_held: int = 800, inactive: int = 60) -> pd.DataFrame:
    """Every probe's chance-rescaled score on :func:`toy_codes` of every kind (rows: kinds, columns: probes).
    The right answers: about 1 for ``linearly``, about 1 for the k-NN and MLP probes and well below for the
    linear one for ``nonlinearly``, about 0 for ``not at all``."""
    rows = {}
    for kind in TOY_KINDS:
        (a, ya), (b, yb) = toy_codes(kind, n_fit, 0, inactive), toy_codes(kind, n_held, 1, inactive)
        rows[kind] = {p: probe_score(a, ya, b, yb, p).score for p in PROBES}
    return pd.DataFrame(rows).T
