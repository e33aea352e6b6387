"""Tests for the synth-svhn generator: determinism, shapes, factor ranges, glyphs, geometry, colours, errors."""

import numpy as np
import pytest

from auxlib import synth_svhn as ss

LUMA = np.array([0.299, 0.587, 0.114])


@pytest.fixture(scope="module")
def sample():
    return ss.generate(600, seed=3, workers=1)


@pytest.fixture(scope="module")
def layout():
    """Factors of many images, with digit masks of the full string and of the centre digit alone."""
    factors = ss._sample_factors(np.random.default_rng(11), 3000)
    alone = dict(factors, left_digit=np.full(3000, -1), right_digit=np.full(3000, -1))
    return factors, ss._digit_masks(factors), ss._digit_masks(alone)


def test_same_seed_same_bytes_whatever_the_workers(sample):
    images, labels, factors = sample
    # 600 images span three chunks, so two workers really split the work.
    images2, labels2, factors2 = ss.generate(600, seed=3, workers=2)
    assert images.tobytes() == images2.tobytes()
    assert np.array_equal(labels, labels2)
    assert factors.keys() == factors2.keys()
    for name in factors:
        assert np.array_equal(factors[name], factors2[name]), name


def test_shorter_run_is_a_prefix(sample):
    images, labels, factors = ss.generate(300, seed=3)
    assert np.array_equal(images, sample[0][:300])
    assert np.array_equal(factors["rotation"], sample[2]["rotation"][:300])
    split = ss.generate_split("test", n=40, workers=1)
    assert np.array_equal(split[0], ss.generate(40, ss.SPLIT_SEEDS["test"], workers=1)[0])


def test_other_seed_other_images(sample):
    other, labels, _ = ss.generate(600, seed=4, workers=1)
    same = (other == sample[0]).all(axis=(1, 2, 3))
    assert not same.any()
    assert (labels != sample[1]).mean() > 0.7
    assert len(set(ss.SPLIT_SEEDS.values())) == len(ss.SPLIT_SEEDS) == len(ss.SPLIT_SIZES)


def test_shapes_dtypes_and_factor_ranges(sample):
    images, labels, f = sample
    n = len(images)
    assert images.shape == (n, 32, 32, 3) and images.dtype == np.uint8
    assert labels.shape == (n,) and labels.dtype == np.int64
    assert np.array_equal(labels, f["label"])
    assert np.array_equal(np.unique(labels), np.arange(10))
    assert set(ss.GLOBAL_FACTORS).isdisjoint(ss.LOCAL_FACTORS)
    assert set(f) == set(ss.GLOBAL_FACTORS) | set(ss.LOCAL_FACTORS)
    for name, values in f.items():
        assert len(values) == n, name
        assert values.shape == ((n, 3) if name.endswith("_color") else (n,)), name
        assert values.dtype in (np.int64, np.float32, np.uint8), name

    for side in ("left_digit", "right_digit"):
        assert f[side].min() == -1 and f[side].max() == 9
    assert np.array_equal(f["n_digits"], 1 + (f["left_digit"] >= 0) + (f["right_digit"] >= 0))
    assert set(np.unique(f["n_digits"])) == {1, 2, 3}
    assert np.array_equal(np.unique(f["font"]), np.arange(len(ss.FONTS)))
    assert np.array_equal(np.unique(f["texture"]), np.arange(len(ss.TEXTURES)))
    assert set(np.unique(f["stroke"])) == set(ss.STROKES)
    assert set(np.unique(f["polarity"])) == {0, 1}
    assert np.abs(f["rotation"]).max() <= 12 and np.abs(f["rotation"]).max() > 10
    assert 0.4 <= f["scale"].min() and f["scale"].max() <= 0.9
    assert np.abs(f["shift_x"]).max() <= 3.5 and np.abs(f["shift_y"]).max() <= 2
    assert f["blur"].min() > 0 and f["noise"].min() >= 0
    compressed = f["jpeg_quality"][f["jpeg_quality"] > 0]
    assert 0.3 < len(compressed) / n < 0.7 and compressed.min() >= 10 and compressed.max() <= 95
    assert ss.SPLIT_SIZES == {"train": 73257, "test": 26032, "extra": 531131}


def test_every_font_renders_every_digit():
    glyphs = ss._glyphs()
    assert len(ss.FONTS) >= 10 and len(glyphs) == len(ss.FONTS)
    for font, by_stroke in zip(ss.FONTS, glyphs):
        for stroke, by_digit in zip(ss.STROKES, by_stroke):
            for digit, mask in enumerate(by_digit):
                height, width = mask.shape
                ink = mask.mean() / 255
                # Sized like the font's other digits, and neither blank nor a filled "missing glyph" box.
                # (cmti10's 4 hangs below the baseline, hence the tall upper bound.)
                core = height - 2 * max(stroke, 0)
                assert 0.8 * ss.GLYPH_HEIGHT <= core <= 1.3 * ss.GLYPH_HEIGHT, (font, stroke, digit, height)
                assert 0.1 * ss.GLYPH_HEIGHT <= width <= ss.GLYPH_HEIGHT, (font, stroke, digit, width)
                assert 0.08 < ink < 0.85, (font, stroke, digit, ink)
            assert len({m.tobytes() for m in by_digit}) == 10, (font, stroke)
        # Thicker strokes mean more ink.
        inks = [sum(m.sum() for m in by_digit) for by_digit in by_stroke]
        assert inks == sorted(inks), font


def test_centre_digit_lies_inside_the_crop(layout):
    factors, full, alone = layout
    ring = np.concatenate([alone[:, 0], alone[:, -1], alone[:, :, 0], alone[:, :, -1]], axis=1)
    assert ring.max() == 0
    assert alone.sum(axis=(1, 2)).min() > 20  # at least 20 pixels' worth of ink
    rows = np.flatnonzero((alone > 0.5).any(axis=(0, 2)))
    assert rows.min() <= 6 and rows.max() >= 25  # large digits do reach near the edges
    # Neighbours are placed around the centre digit without moving it.
    lost = np.clip(alone - full, 0, None).sum(axis=(1, 2)) / alone.sum(axis=(1, 2))
    assert lost.max() < 1e-3


def test_neighbours_show_at_the_edges(layout):
    factors, full, alone = layout
    extra = full - alone
    for side, columns in (("left_digit", slice(0, 16)), ("right_digit", slice(16, 32))):
        present = factors[side] >= 0
        visible = extra[:, :, columns].sum(axis=(1, 2)) > 3
        assert visible[present].mean() > 0.75, side
        assert visible[~present].mean() < 0.05, side


def test_colours_keep_the_contrast_and_polarity(sample):
    images, labels, f = sample
    fg_luma = f["fg_color"] @ LUMA / 255
    bg_luma = f["bg_color"] @ LUMA / 255
    assert np.abs(fg_luma - bg_luma).min() >= ss.MIN_CONTRAST
    assert np.allclose(f["contrast"], np.abs(fg_luma - bg_luma), atol=1e-4)
    assert np.array_equal(f["polarity"] == 1, fg_luma > bg_luma)
    assert (f["contrast"] < 0.3).mean() > 0.25  # low-contrast images are common, as in SVHN

    # The pixels follow the colours: where the centre digit's ink is, the image is darker for dark digits.
    alone = dict(f, left_digit=np.full(len(labels), -1), right_digit=np.full(len(labels), -1))
    ink = ss._digit_masks(alone) > 0.5
    luma = images @ LUMA / 255
    on = (luma * ink).sum(axis=(1, 2)) / ink.sum(axis=(1, 2))
    off = (luma * ~ink).sum(axis=(1, 2)) / (~ink).sum(axis=(1, 2))
    assert (np.sign(on - off) == np.where(f["polarity"] == 1, 1, -1)).mean() > 0.97
    # Raw pixels are dominated by the ground: the image's mean brightness tracks the background colour.
    assert np.corrcoef(luma.mean(axis=(1, 2)), bg_luma)[0, 1] > 0.85


@pytest.mark.parametrize("n", [0, -5, 2.5, True, "10"])
def test_bad_n_is_rejected(n):
    with pytest.raises(ValueError, match="^n must be a positive integer"):
        ss.generate(n, seed=0)


def test_bad_seed_workers_and_split_are_rejected():
    with pytest.raises(ValueError, match="^seed must be a non-negative integer"):
        ss.generate(5, seed=-1)
    with pytest.raises(ValueError, match="^workers must be a positive integer"):
        ss.generate(5, seed=0, workers=0)
    with pytest.raises(ValueError, match="^split must be one of train, test, extra, got 'validation'"):
        ss.generate_split("validation")
    with pytest.raises(ValueError, match="^n must be a positive integer"):
        ss.generate_split("train", n=0)
