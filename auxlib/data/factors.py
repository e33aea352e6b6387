"""Tables of true factors (one array per factor, one row per image), as synth-svhn records them.

Colours are stored as RGB triples; for statistics each becomes one number, its luma. ``discretise`` turns
every factor into integer classes so that clusterings and classifiers can be scored against it.
"""

from __future__ import annotations

import numpy as np

_LUMA = np.array([0.299, 0.587, 0.114])


def scalar_factors(factors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """One value per image for every factor: (n, 3) RGB colours become their luma in [0, 1]."""
    out = {}
    for name, values in factors.items():
        values = np.asarray(values)
        out[name] = values @ _LUMA / 255 if values.ndim == 2 and values.shape[1] == 3 else values
    return out


def is_discrete(values: np.ndarray, max_levels: int = 32) -> bool:
    """Integer factors with at most ``max_levels`` distinct values count as discrete (classes)."""
    values = np.asarray(values)
    return np.issubdtype(values.dtype, np.integer) and len(np.unique(values)) <= max_levels


def discretise(factors: dict[str, np.ndarray], bins: int = 4) -> dict[str, np.ndarray]:
    """Integer classes 0..m-1 for every factor: discrete factors are re-indexed, continuous ones (colours via
    their luma) are cut into ``bins`` equally populated bins."""
    if not isinstance(bins, int) or bins < 2:
        raise ValueError(f"bins must be an integer >= 2, got {bins!r}.")
    out = {}
    for name, values in scalar_factors(factors).items():
        if is_discrete(values):
            out[name] = np.unique(values, return_inverse=True)[1].astype(np.int64)
        else:
            edges = np.quantile(values, np.linspace(0, 1, bins + 1)[1:-1])
            out[name] = np.searchsorted(edges, values, side="right").astype(np.int64)
    return out


#: The suffixes of the two opponent components :func:`chroma` adds per RGB factor.
CHROMA_VIEWS: tuple[str, str] = ("red-green", "yellow-blue")


def chroma(factors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The colour of every RGB factor without its brightness: two opponent components in [-1, 1] per colour,
    ``<name> red-green`` = (R - G) / 255 and ``<name> yellow-blue`` = ((R + G) / 2 - B) / 255. A grey-scale copy
    of an image keeps the luma of its colours and loses exactly these."""
    out = {}
    for name, values in factors.items():
        values = np.asarray(values, dtype=np.float64)
        if values.ndim == 2 and values.shape[1] == 3:
            r, g, b = values.T / 255
            out[f"{name} {CHROMA_VIEWS[0]}"] = r - g
            out[f"{name} {CHROMA_VIEWS[1]}"] = (r + g) / 2 - b
    return out
