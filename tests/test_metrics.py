import numpy as np
import pytest

from auxlib import metrics


def test_many_to_one_worked_example():
    # Cluster 0 holds labels [0, 0, 1] -> predicts 0 (2 right); cluster 1 holds [1, 1] -> 2 right;
    # cluster 2 holds [0, 2, 2] -> 2 right. 6 of 8.
    labels = [0, 0, 1, 1, 1, 0, 2, 2]
    clusters = [0, 0, 0, 1, 1, 2, 2, 2]
    assert metrics.many_to_one_accuracy(labels, clusters) == pytest.approx(6 / 8)


def test_many_to_one_allows_more_clusters_than_labels_but_hungarian_does_not_reward_them():
    labels = [0, 0, 1, 1]
    clusters = [0, 1, 2, 3]  # one cluster per image
    assert metrics.many_to_one_accuracy(labels, clusters) == 1.0
    assert metrics.hungarian_accuracy(labels, clusters) == 0.5


def test_hungarian_finds_the_permutation():
    labels = np.array([0, 0, 1, 1, 2, 2])
    clusters = np.array([2, 2, 0, 0, 1, 1])
    assert metrics.hungarian_accuracy(labels, clusters) == 1.0
    # Worked case, clusters [1, 1, 1, 0, 0, 2]: label 0 sits in cluster 1 twice, label 1 in clusters 1 and 0,
    # label 2 in clusters 0 and 2. Best matching 1->0 (2), 0->1 (1), 2->2 (1) = 4/6; many-to-one gives
    # cluster 1 -> 0 (2), cluster 0 -> 1 or 2 (1), cluster 2 -> 2 (1) = 4/6 too.
    assert metrics.hungarian_accuracy(labels, [1, 1, 1, 0, 0, 2]) == pytest.approx(4 / 6)


def test_hungarian_beats_naive_majority_when_two_clusters_prefer_one_label():
    labels = [0, 0, 0, 1, 1, 1]
    clusters = [0, 0, 1, 1, 1, 0]  # cluster 0: [0,0,1], cluster 1: [0,1,1]
    assert metrics.hungarian_accuracy(labels, clusters) == pytest.approx(4 / 6)
    assert metrics.many_to_one_accuracy(labels, clusters) == pytest.approx(4 / 6)


def test_nmi_and_ari_extremes():
    labels = [0, 0, 1, 1, 2, 2]
    assert metrics.nmi(labels, [5, 5, 3, 3, 9, 9]) == pytest.approx(1.0)
    assert metrics.ari(labels, [5, 5, 3, 3, 9, 9]) == pytest.approx(1.0)
    assert metrics.nmi(labels, [0] * 6) == pytest.approx(0.0)
    assert set(metrics.clustering_scores(labels, [0, 1, 0, 1, 0, 1])) == {"acc", "hungarian", "nmi", "ari",
                                                                          "clusters_used"}


def test_clustering_scores_read_polarity_when_given():
    labels, polarity = [0, 1, 2, 0, 1, 2], [0, 0, 0, 1, 1, 1]
    by_polarity = metrics.clustering_scores(labels, [7, 7, 7, 4, 4, 4], polarity)
    assert by_polarity["nmi_polarity"] == pytest.approx(1.0) and by_polarity["nmi"] == pytest.approx(0.0)
    assert metrics.clustering_scores(labels, [0, 1, 2, 0, 1, 2], polarity)["nmi_polarity"] == pytest.approx(0.0)


def test_accuracy_and_bad_input():
    assert metrics.accuracy([1, 2, 3], [1, 0, 3]) == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="same non-zero length"):
        metrics.accuracy([1, 2], [1])
    with pytest.raises(ValueError, match="clusters must be a 1-D array of integer labels"):
        metrics.many_to_one_accuracy([0, 1], [0.5, 1.0])


def test_colour_spread_measures_variation_of_mean_colour_only():
    flat = np.zeros((4, 3, 2, 2))
    flat[:, 0] = [[[0.0]], [[1.0]], [[0.0]], [[1.0]]]  # red channel 0 or 1 per image, the rest constant
    assert metrics.colour_spread(flat) == pytest.approx(0.5 / 3)
    pattern = np.random.default_rng(0).permutation(np.tile([0.0, 1.0], 6)).reshape(1, 3, 2, 2)
    shuffled = np.stack([np.roll(pattern[0], i, axis=-1) for i in range(3)])  # same mean colour, other layout
    assert metrics.colour_spread(shuffled) == pytest.approx(0.0)
    assert metrics.colour_spread((flat * 255).astype(np.uint8)) == pytest.approx(0.5 / 3)
    with pytest.raises(ValueError, match="images must be a batch of shape"):
        metrics.colour_spread(np.zeros((3, 2, 2)))


def test_purest_clusters_worked_example():
    # Cluster 4: [0, 0, 1] (0 leads, 2/3); cluster 5: [0] (0 leads, pure); cluster 6: [1, 1, 2, 2, 2] (2 leads,
    # 3/5). Label 0 -> cluster 5 (1.0 beats 2/3); label 1 leads no cluster; label 2 -> cluster 6.
    labels = [0, 0, 1, 0, 1, 1, 2, 2, 2]
    clusters = [4, 4, 4, 5, 6, 6, 6, 6, 6]
    picked = metrics.purest_clusters(labels, clusters)
    assert picked == {0: (5, pytest.approx(1.0)), 2: (6, pytest.approx(3 / 5))}


def test_grid_colour_spread_separates_the_row_and_column_variables():
    # 2 rows x 3 columns; the colour depends on the row only, so it never changes along a row.
    grid = np.zeros((2, 3, 3, 2, 2))
    grid[1] = 1.0
    down, along = metrics.grid_colour_spread(grid.reshape(6, 3, 2, 2), rows=2, columns=3)
    assert down == pytest.approx(0.5) and along == pytest.approx(0.0)
    with pytest.raises(ValueError, match="grid"):
        metrics.grid_colour_spread(grid.reshape(6, 3, 2, 2), rows=2, columns=2)


def test_clusters_in_use_counts_clusters_above_a_share():
    clusters = np.array([0] * 90 + [1] * 9 + [2])
    assert metrics.clusters_in_use(clusters, 0.01) == 3
    assert metrics.clusters_in_use(clusters, 0.05) == 2
    assert metrics.clusters_in_use(np.zeros(50, dtype=int)) == 1
    with pytest.raises(ValueError, match="min_share must be a number in"):
        metrics.clusters_in_use(clusters, 2.0)


def test_majority_rate_is_the_share_of_the_commonest_label():
    assert metrics.majority_rate([3, 3, 1, 2]) == 0.5
    assert metrics.majority_rate(np.full(7, 9)) == 1.0  # one label only: a constant guess is always right
    with pytest.raises(ValueError, match="labels must hold at least one label"):
        metrics.majority_rate([])


def test_cluster_means_leave_out_clusters_too_small_to_say_anything():
    clusters = np.array([0] * 20 + [1] * 19 + [2] * 25)
    values = np.array([1.0] * 20 + [0.0] * 19 + [0.0] * 5 + [1.0] * 20)
    assert metrics.cluster_means(values, clusters) == {0: 1.0, 2: 0.8}
    assert metrics.cluster_means(values, clusters, min_size=1)[1] == 0.0


def test_colour_spread_separates_brightness_from_colour():
    grey = np.linspace(0.1, 0.9, 6)[:, None, None, None] * np.ones((6, 3, 2, 2))  # greys: luma moves, chroma not
    assert metrics.colour_spread(grey, "luma") == pytest.approx(np.linspace(0.1, 0.9, 6).std())
    assert metrics.colour_spread(grey, "chroma") == pytest.approx(0.0)
    # red and green of equal luma: chroma moves, luma not
    red, green = np.array([0.587, 0, 0.0]), np.array([0, 0.299, 0.0])
    pair = np.stack([red, green] * 3)[:, :, None, None] * np.ones((6, 3, 2, 2))
    assert metrics.colour_spread(pair, "luma") == pytest.approx(0.0)
    assert metrics.colour_spread(pair, "chroma") == pytest.approx((0.886 / 2 + 0.144 / 2) / 2)
    down, along = metrics.grid_colour_spread(np.concatenate([grey, pair]), rows=2, columns=6, view="luma")
    assert down > 0 and along == pytest.approx(metrics.colour_spread(grey, "luma") / 2)
    with pytest.raises(ValueError, match="view must be one of rgb, luma, chroma"):
        metrics.colour_spread(grey, "hue")
    with pytest.raises(ValueError, match="RGB"):
        metrics.colour_spread(grey[:, :1], "luma")
