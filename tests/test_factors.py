import numpy as np
import pytest

from auxlib import factors


def test_colours_become_luma():
    table = {"fg": np.array([[255, 255, 255], [0, 0, 0], [255, 0, 0]], np.uint8), "digit": np.array([1, 2, 3])}
    scalar = factors.scalar_factors(table)
    assert scalar["fg"] == pytest.approx([1.0, 0.0, 0.299])
    assert scalar["digit"] is table["digit"]


def test_discretise_reindexes_classes_and_bins_continuous_values_evenly():
    table = {"neighbour": np.array([-1, 3, 3, 7]), "blur": np.linspace(0, 1, 100)}
    out = factors.discretise(table, bins=4)
    assert out["neighbour"].tolist() == [0, 1, 1, 2]
    assert np.bincount(out["blur"]).tolist() == [25, 25, 25, 25]
    assert out["blur"][0] == 0 and out["blur"][-1] == 3


def test_discrete_means_few_integer_values():
    assert factors.is_discrete(np.array([0, 1, 1]))
    assert not factors.is_discrete(np.arange(100))
    assert not factors.is_discrete(np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="bins must be an integer >= 2"):
        factors.discretise({"x": np.zeros(3)}, bins=1)


def test_chroma_is_zero_for_greys_and_signed_by_hue():
    colours = np.array([[128, 128, 128], [255, 0, 0], [0, 0, 255]], dtype=np.uint8)
    out = factors.chroma({"fg_color": colours, "n_digits": np.array([1, 2, 3])})
    assert set(out) == {"fg_color red-green", "fg_color yellow-blue"}
    assert np.allclose(out["fg_color red-green"], [0, 1, 0]) and np.allclose(out["fg_color yellow-blue"], [0, 0.5, -1])
