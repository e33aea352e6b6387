import numpy as np
import pytest
import torch

from auxlib import latents, models
from auxlib.model.config import AuxVAEConfig, ClassifierConfig


@pytest.fixture
def model():
    return models.build(AuxVAEConfig(z_g=3, z_l=2, widths=(8, 16), patch_size=1)).eval()


def blind_to_local(model):
    """Make the main decoder ignore z_l, so that every decode depends on z_g alone."""
    with torch.no_grad():
        model.dec.fc.weight[:, model.config.z_g:] = 0
    return model


def images(n, seed=0):
    return torch.randint(0, 256, (n, 3, 32, 32), dtype=torch.uint8, generator=torch.Generator().manual_seed(seed))


def test_batched_encode_and_decode_match_one_batch(model):
    x = images(7)
    gen = lambda: torch.Generator().manual_seed(3)  # noqa: E731
    whole = latents.encode(model, x, gen(), batch_size=100)
    pieces = latents.encode(model, x, gen(), batch_size=3)
    assert torch.allclose(whole.mu_g, pieces.mu_g, atol=1e-6) and torch.allclose(whole.mu_l, pieces.mu_l, atol=1e-6)
    decoded = latents.decode(model, whole.mu_g, whole.mu_l, batch_size=2)
    assert decoded.shape == (7, 3, 32, 32)
    assert torch.allclose(decoded, model.decode(whole.mu_g, whole.mu_l), atol=1e-6)


def test_fixed_part_grid_holds_one_part_fixed(model):
    blind_to_local(model)
    fixed_g = latents.fixed_part_grid(model, "g", 6, torch.Generator().manual_seed(0))
    fixed_l = latents.fixed_part_grid(model, "l", 6, torch.Generator().manual_seed(0))
    assert fixed_g.shape == (6, 3, 32, 32)
    assert torch.allclose(fixed_g, fixed_g[:1].expand_as(fixed_g))  # only z_l varies, and it is ignored
    assert not torch.allclose(fixed_l, fixed_l[:1].expand_as(fixed_l))
    with pytest.raises(ValueError, match="fixed must be 'g' or 'l'"):
        latents.fixed_part_grid(model, "x", 4)


def test_swap_decodes_take_the_global_part_from_rows(model):
    blind_to_local(model)
    rows, columns = images(2, seed=1), images(3, seed=2)
    grid = latents.swap_decodes(model, rows, columns).view(2, 3, 3, 32, 32)
    assert torch.allclose(grid, grid[:, :1].expand_as(grid))  # each row: one z_g, whatever the column's z_l
    assert not torch.allclose(grid[0], grid[1])
    assert torch.allclose(grid[:, 0], model.reconstruct(rows), atol=1e-6)


class ConstantJudge(torch.nn.Module):
    """A 'classifier' that labels an image by whether its mean brightness is above one half."""

    def __init__(self):
        super().__init__()
        self.dummy = torch.nn.Parameter(torch.zeros(()))

    def forward(self, x):
        bright = (models.to_unit(x).mean((1, 2, 3)) > 0.5).long()
        return torch.nn.functional.one_hot(bright, 2).float() + self.dummy


def test_resampling_accuracies_resample_the_named_part(model):
    blind_to_local(model)
    x = images(40)
    judge = ConstantJudge()
    labels = models.predict(judge, model.reconstruct(x)).numpy()
    scores = latents.resampling_accuracies(model, judge, x, labels, repeats=2, seed=0)
    assert list(scores) == list(latents.RESAMPLED)
    assert all(v.shape == (2,) for v in scores.values())
    # z_l is ignored by the decoder: resampling it changes nothing, so both read as the reconstruction.
    assert np.all(scores["reconstruction"] == 1.0) and np.all(scores["z_l resampled"] == 1.0)
    again = latents.resampling_accuracies(model, judge, x, labels, repeats=2, seed=0)
    assert all(np.array_equal(scores[k], again[k]) for k in scores)


def test_resampled_decodes_rejects_unknown_part(model):
    post = latents.encode(model, images(2))
    with pytest.raises(ValueError, match="resample must be 'g', 'l' or None"):
        latents.resampled_decodes(model, post, "z")


def test_resampling_accuracies_work_with_a_real_classifier(model):
    judge = models.build(ClassifierConfig(widths=(8,)))
    x = images(10)
    scores = latents.resampling_accuracies(model, judge, x, np.zeros(10, np.int64), repeats=1)
    assert all(0 <= v[0] <= 1 for v in scores.values())


@pytest.fixture
def gmvae():
    from auxlib.model.config import AuxGMVAEConfig

    return models.build(AuxGMVAEConfig(z_g=3, z_l=2, widths=(8, 16), k=4)).eval()


def test_clusters_are_the_argmax_of_q_y_and_keep_the_mode(gmvae):
    x = images(9)
    gmvae.train()
    found = latents.clusters(gmvae, x, batch_size=4)
    assert gmvae.training  # the mode is restored
    gmvae.eval()
    assert np.array_equal(found, gmvae.cluster_logits(x).argmax(1).numpy())
    assert found.dtype.kind == "i" and found.min() >= 0 and found.max() < 4


def test_cluster_grid_varies_z_g_along_columns_and_z_l_along_rows(gmvae):
    blind_to_local(gmvae)
    grid = latents.cluster_grid(gmvae, 2, columns=3, rows=4, generator=torch.Generator().manual_seed(0))
    grid = grid.view(4, 3, 3, 32, 32)
    assert torch.allclose(grid, grid[:1].expand_as(grid))  # rows differ only in z_l, which is ignored
    assert not torch.allclose(grid[:, 0], grid[:, 1])
    with pytest.raises(ValueError, match="cluster must be an integer in \\[0, 3\\]"):
        latents.cluster_grid(gmvae, 4)


def test_kmeans_is_fitted_on_train_codes_and_assigns_test_codes():
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 0.0], [10.0, 10.0]])
    train = np.concatenate([centres[0] + rng.normal(size=(20, 2)), centres[1] + rng.normal(size=(20, 2))])
    test = np.array([[9.5, 10.2], [0.3, -0.4], [10.1, 9.9]])
    found = latents.kmeans(train, test, k=2)
    assert found[0] == found[2] != found[1]


def test_codes_are_posterior_means_of_the_chosen_part(model):
    x = images(5)
    gen = lambda: torch.Generator().manual_seed(3)  # noqa: E731
    post = latents.encode(model, x, gen())
    both = latents.codes(model, x, "both", gen())
    assert both.shape == (5, 5) and both.dtype == np.float32
    assert np.allclose(both[:, :3], post.mu_g.numpy()) and np.allclose(both[:, 3:], post.mu_l.numpy())
    assert np.allclose(latents.codes(model, x, "l", gen()), post.mu_l.numpy())
    with pytest.raises(ValueError, match="part"):
        latents.codes(model, x, "z")


def test_pixels_are_flat_rows_in_unit_range():
    x = images(4)
    flat = latents.pixels(x)
    assert flat.shape == (4, 3 * 32 * 32) and flat.max() <= 1 and np.allclose(flat[1] * 255, x[1].flatten().numpy())


def test_codes_repeat_by_default_although_z_l_reads_a_random_shuffle(model):
    x = images(6)
    assert np.array_equal(latents.codes(model, x, "l"), latents.codes(model, x, "l"))


def test_sampled_decodes_draw_the_kept_parts_from_the_posterior(model):
    post = latents.encode(model, images(4), torch.Generator().manual_seed(0))
    means = latents.resampled_decodes(model, post, None)
    sampled = latents.resampled_decodes(model, post, None, torch.Generator().manual_seed(1), sample=True)
    assert torch.allclose(means, model.decode(post.mu_g, post.mu_l), atol=1e-6)
    assert not torch.allclose(sampled, means)
    narrow = post._replace(std_g=torch.zeros_like(post.std_g), std_l=torch.zeros_like(post.std_l))
    assert torch.allclose(latents.resampled_decodes(model, narrow, None, sample=True), means, atol=1e-6)
