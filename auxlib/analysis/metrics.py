"""Scores of classifiers and clusterings against true labels.

Cluster accuracy comes in two kinds: many-to-one (each cluster takes its most frequent label, so more clusters
than classes is allowed: the paper's ACC) and one-to-one (the Hungarian matching of clusters to labels).
NMI and ARI are scikit-learn's.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score
from sklearn.metrics.cluster import contingency_matrix


def _as_labels(values, name: str) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim != 1 or not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"{name} must be a 1-D array of integer labels, got shape {array.shape} of {array.dtype}.")
    return array


def _pair(labels, clusters) -> tuple[np.ndarray, np.ndarray]:
    labels, clusters = _as_labels(labels, "labels"), _as_labels(clusters, "clusters")
    if len(labels) != len(clusters) or len(labels) == 0:
        raise ValueError(f"labels and clusters must have the same non-zero length, got {len(labels)} and "
                         f"{len(clusters)}.")
    return labels, clusters


def accuracy(labels, predictions) -> float:
    """Fraction of predictions equal to the labels."""
    labels, predictions = _pair(labels, predictions)
    return float(np.mean(labels == predictions))


def majority_rate(labels) -> float:
    """The accuracy of always naming the commonest label: the chance level the book quotes beside accuracies.
    Raises ValueError for no labels."""
    labels = np.asarray(labels)
    if labels.size == 0:
        raise ValueError("labels must hold at least one label, got none.")
    return float(np.unique(labels, return_counts=True)[1].max() / labels.size)


def cluster_means(values, clusters, min_size: int = 20) -> dict[int, float]:
    """The mean of ``values`` in each cluster that holds at least ``min_size`` images (in a smaller one a mean
    is mostly noise), by cluster id. Raises ValueError when the two differ in length."""
    values, clusters = np.asarray(values, dtype=np.float64), np.asarray(clusters)
    if values.shape != clusters.shape:
        raise ValueError(f"values and clusters must have the same shape, got {values.shape} and {clusters.shape}.")
    return {int(c): float(values[clusters == c].mean()) for c in np.unique(clusters)
            if (clusters == c).sum() >= min_size}


def many_to_one_accuracy(labels, clusters) -> float:
    """Accuracy when every cluster predicts its most frequent true label (the paper's ACC)."""
    table = contingency_matrix(*_pair(labels, clusters))  # rows: labels, columns: clusters
    return float(table.max(axis=0).sum() / table.sum())


def hungarian_accuracy(labels, clusters) -> float:
    """Accuracy under the best one-to-one matching of clusters to labels (clusters left unmatched count as
    wrong)."""
    table = contingency_matrix(*_pair(labels, clusters))
    rows, cols = linear_sum_assignment(table, maximize=True)
    return float(table[rows, cols].sum() / table.sum())


def nmi(labels, clusters) -> float:
    """Normalised mutual information (arithmetic normalisation, scikit-learn's default)."""
    return float(normalized_mutual_info_score(*_pair(labels, clusters)))


def ari(labels, clusters) -> float:
    """Adjusted Rand index."""
    return float(adjusted_rand_score(*_pair(labels, clusters)))


def clustering_scores(labels, clusters, polarity=None) -> dict[str, float]:
    """All four clustering scores in one dict: acc (many-to-one), hungarian, nmi, ari; clusters_used
    (:func:`clusters_in_use` at 1%), which shows a collapse that a low ACC alone would hide; and, when the images'
    ``polarity`` is given (synth-svhn's factor), nmi_polarity, the NMI of the clusters with it."""
    scores = {"acc": many_to_one_accuracy(labels, clusters), "hungarian": hungarian_accuracy(labels, clusters),
              "nmi": nmi(labels, clusters), "ari": ari(labels, clusters),
              "clusters_used": float(clusters_in_use(clusters, 0.01))}
    if polarity is not None:
        scores["nmi_polarity"] = nmi(polarity, clusters)
    return scores


def purest_clusters(labels, clusters) -> dict[int, tuple[int, float]]:
    """For every label that is the majority of at least one cluster: the cluster among those with the largest
    share of that label, and the share (purity). Labels that lead no cluster are absent."""
    labels, clusters = _pair(labels, clusters)
    table = contingency_matrix(labels, clusters)  # rows: sorted labels, columns: sorted cluster ids
    label_ids, cluster_ids = np.unique(labels), np.unique(clusters)
    purity = table / table.sum(axis=0)
    majority = table.argmax(axis=0)
    out = {}
    for row, label in enumerate(label_ids):
        led = np.flatnonzero(majority == row)
        if len(led):
            best = led[np.argmax(purity[row, led])]
            out[label.item()] = (cluster_ids[best].item(), float(purity[row, best]))
    return out


#: The views of an image's mean colour that :func:`colour_spread` measures: every channel (``rgb``), its luma
#: (ITU-R BT.601, the brightness) or its chroma (the two opponent components of :func:`auxlib.factors.chroma`,
#: the colour without its brightness).
COLOUR_VIEWS = ("rgb", "luma", "chroma")
_LUMA = np.array([0.299, 0.587, 0.114])
_OPPONENT = np.array([[1.0, -1.0, 0.0], [0.5, 0.5, -1.0]])  # red-green, yellow-blue


def colour_spread(images, view: str = "rgb") -> float:
    """How much the overall colour varies across a set of images (NCHW in [0, 1] or uint8), in units of the
    [0, 1] intensity scale: the standard deviation, across images, of each image's mean colour in ``view``
    (:data:`COLOUR_VIEWS`), averaged over that view's components (channels; luma alone; the two chroma axes).
    Raises ValueError for another shape, or a luma or chroma view of images that are not RGB."""
    array = np.asarray(images, dtype=np.float64)
    if array.ndim != 4:
        raise ValueError(f"images must be a batch of shape (N, C, H, W), got shape {array.shape}.")
    if view not in COLOUR_VIEWS:
        raise ValueError(f"view must be one of {', '.join(COLOUR_VIEWS)}, got {view!r}.")
    if np.asarray(images).dtype == np.uint8:
        array = array / 255
    means = array.mean(axis=(2, 3))
    if view != "rgb":
        if means.shape[1] != 3:
            raise ValueError(f"images must be RGB for the {view} view, got {means.shape[1]} channels.")
        means = means @ (_LUMA[:, None] if view == "luma" else _OPPONENT.T)
    return float(means.std(axis=0).mean())


def grid_colour_spread(grid, rows: int, columns: int, view: str = "rgb") -> tuple[float, float]:
    """For a grid of ``rows * columns`` images in row-major order: the mean :func:`colour_spread` (in ``view``)
    down each column (what the row variable changes) and along each row (what the column variable changes)."""
    array = np.asarray(grid)
    if len(array) != rows * columns:
        raise ValueError(f"grid must hold rows * columns = {rows * columns} images, got {len(array)}.")
    array = array.reshape(rows, columns, *array.shape[1:])
    down = np.mean([colour_spread(array[:, j], view) for j in range(columns)])
    along = np.mean([colour_spread(array[i], view) for i in range(rows)])
    return float(down), float(along)


def clusters_in_use(clusters, min_share: float = 0.01) -> int:
    """The number of clusters that hold at least ``min_share`` of the items (a collapsed model uses few)."""
    clusters = _as_labels(clusters, "clusters")
    if not 0 <= min_share <= 1:
        raise ValueError(f"min_share must be a number in [0, 1], got {min_share!r}.")
    counts = np.unique(clusters, return_counts=True)[1]
    return int((counts >= min_share * len(clusters)).sum())
