import pytest
import torch

from auxlib import transforms
from auxlib.model.transforms import grayscale, patch_shuffle


def patches(x, n):
    """Multiset of the n x n patches of each image, as a sorted list of byte strings per image."""
    b, c, h, w = x.shape
    p = x.reshape(b, c, h // n, n, w // n, n).permute(0, 2, 4, 1, 3, 5).reshape(b, -1, c * n * n)
    return [sorted(row.numpy().tobytes() for row in img) for img in p]


@pytest.fixture
def batch():
    return torch.randint(0, 256, (5, 3, 32, 32), dtype=torch.uint8, generator=torch.Generator().manual_seed(1))


@pytest.mark.parametrize("n", [1, 2, 4, 8, 16, 32])
def test_output_is_a_permutation_of_the_input_patches(batch, n):
    out = patch_shuffle(batch, n, generator=torch.Generator().manual_seed(0))
    assert out.shape == batch.shape and out.dtype == batch.dtype
    assert patches(out, n) == patches(batch, n)
    if n < 32:
        assert not torch.equal(out, batch)


def test_full_size_patch_is_the_identity(batch):
    assert torch.equal(patch_shuffle(batch, 32), batch)


def test_each_image_gets_its_own_permutation_unless_shared():
    # Identical images make the permutation visible: independent draws must differ, a shared one must not.
    x = torch.arange(16, dtype=torch.float32).view(1, 1, 4, 4).repeat(4, 1, 1, 1)
    independent = patch_shuffle(x, 1, generator=torch.Generator().manual_seed(0))
    shared = patch_shuffle(x, 1, generator=torch.Generator().manual_seed(0), shared=True)
    assert len({tuple(img.flatten().tolist()) for img in independent}) > 1
    assert len({tuple(img.flatten().tolist()) for img in shared}) == 1


def test_seeded_generator_reproduces(batch):
    a = patch_shuffle(batch, 4, generator=torch.Generator().manual_seed(3))
    b = patch_shuffle(batch, 4, generator=torch.Generator().manual_seed(3))
    assert torch.equal(a, b)


@pytest.mark.parametrize("n", [0, 3, 5, 64, 2.0, True])
def test_bad_patch_size_raises(batch, n):
    with pytest.raises(ValueError, match="n must be a positive integer that divides"):
        patch_shuffle(batch, n)


def test_grayscale_removes_colour_and_keeps_luminance():
    x = torch.rand(2, 3, 8, 8)
    g = grayscale(x)
    assert g.shape == x.shape
    assert torch.equal(g[:, 0], g[:, 1]) and torch.equal(g[:, 1], g[:, 2])
    expected = 0.299 * x[:, 0] + 0.587 * x[:, 1] + 0.114 * x[:, 2]
    assert torch.allclose(g[:, 0], expected, atol=1e-6)
    assert grayscale((x * 255).to(torch.uint8)).dtype == torch.uint8


def test_random_shift_moves_each_image_within_its_reflected_border():
    x = torch.arange(4 * 2 * 8 * 8).view(4, 2, 8, 8)
    gen = torch.Generator().manual_seed(0)
    moved = transforms.random_shift_flip(x, 2, False, gen)
    assert moved.shape == x.shape and moved.dtype == x.dtype
    padded = torch.nn.functional.pad(x.float(), (2,) * 4, mode="reflect")
    for b in range(4):  # each image is one 8 x 8 window of its padded self
        windows = [padded[b, :, r:r + 8, c:c + 8] for r in range(5) for c in range(5)]
        assert any(torch.equal(moved[b].float(), w) for w in windows)
    assert not all(torch.equal(moved[b], x[b]) for b in range(4))
    assert torch.equal(transforms.random_shift_flip(x, 0, False, gen), x)


def test_random_flip_mirrors_about_half_the_images():
    x = torch.rand(200, 1, 4, 4)
    flipped = transforms.random_shift_flip(x, 0, True, torch.Generator().manual_seed(1))
    mirrored = [torch.equal(f, o.flip(2)) for f, o in zip(flipped, x)]
    kept = [torch.equal(f, o) for f, o in zip(flipped, x)]
    assert all(m or k for m, k in zip(mirrored, kept)) and 70 < sum(mirrored) < 130
    with pytest.raises(ValueError, match="shift must be an integer in \\[0, 3\\]"):
        transforms.random_shift_flip(x, 4, True)


def test_standardised_luma_has_zero_mean_unit_deviation_and_aligned_makes_the_minority_bright():
    from auxlib.model.transforms import standardised_luma
    x = torch.full((2, 3, 8, 8), 0.2)
    x[:, :, 3:5, 3:5] = 0.9  # a bright square on a dark ground
    x[1] = 1.1 - x[1]  # the same square, dark on a bright ground
    flat = torch.full((1, 3, 8, 8), 0.5)
    s = standardised_luma(torch.cat([x, flat]))
    assert s.shape == (3, 1, 8, 8) and torch.allclose(s.mean((1, 2, 3)), torch.zeros(3), atol=1e-6)
    assert torch.allclose(s[:2].std((1, 2, 3), unbiased=False), torch.ones(2)) and not s[2].any()
    assert s[0, 0, 4, 4] > 0 > s[1, 0, 4, 4]
    aligned = standardised_luma(x, aligned=True)
    assert torch.allclose(aligned[0], aligned[1], atol=1e-5) and aligned[0, 0, 4, 4] > 0
    assert torch.allclose(standardised_luma((x * 255).to(torch.uint8)), s[:2], atol=1e-2)
    with pytest.raises(ValueError, match="RGB images"):
        standardised_luma(x[:, :1])


def test_patch_rotate_turns_every_patch_in_place_by_a_multiple_of_90_degrees(batch):
    n = 4
    out = transforms.patch_rotate(batch, n, generator=torch.Generator().manual_seed(0))
    assert out.shape == batch.shape and out.dtype == batch.dtype
    turned = set()
    for i in range(0, 32, n):
        for j in range(0, 32, n):
            before, after = batch[0, :, i:i + n, j:j + n], out[0, :, i:i + n, j:j + n]
            k = next(k for k in range(4) if torch.equal(torch.rot90(before, k, dims=(1, 2)), after))
            turned.add(k)
    assert turned == {0, 1, 2, 3}  # 64 patches: every turn is drawn
    assert torch.equal(transforms.patch_rotate(batch, 1), batch)  # a pixel has nothing to turn


def test_the_registry_finds_each_transform_by_its_config_name_and_refuses_others(batch):
    x = batch.float() / 255
    g = torch.Generator().manual_seed(0)
    assert torch.equal(transforms.get("shuffle")(x, 4, g), patch_shuffle(x, 4, torch.Generator().manual_seed(0)))
    assert torch.equal(transforms.get("grayscale")(x, 4, None), grayscale(x))
    with pytest.raises(ValueError, match="transform must be one of shuffle, grayscale, rotate, got 'blur'"):
        transforms.get("blur")
    with pytest.raises(ValueError, match="registered already"):
        transforms.register("shuffle")(lambda x, n, g: x)


def test_a_registered_transform_is_a_valid_config_value_and_what_the_model_uses(batch):
    from auxlib.model.config import AuxVAEConfig
    from auxlib.model.models import AuxVAE

    transforms.register("flip-test")(lambda x, n, g: x.flip(3))
    try:
        model = AuxVAE(AuxVAEConfig(z_g=2, z_l=2, widths=(4,), transform="flip-test"))
        x = batch.float() / 255
        assert torch.equal(model.transform(x), x.flip(3))
    finally:
        del transforms.TRANSFORMS["flip-test"]
    with pytest.raises(ValueError, match="transform must be one of"):
        AuxVAEConfig(transform="flip-test")
