import math

import pytest
import torch

from auxlib import models
from auxlib.model.config import AuxGMVAEConfig, AuxVAEConfig
from auxlib.model.transforms import grayscale


@pytest.fixture
def x():
    return torch.randint(0, 256, (4, 3, 32, 32), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))


@pytest.mark.parametrize("likelihood", ["bernoulli", "gaussian", "logistic"])
def test_loss_terms_and_shapes(x, likelihood):
    model = models.build(AuxVAEConfig(z_g=6, z_l=5, widths=(8, 16), likelihood=likelihood))
    terms = model.loss(x)
    assert set(terms) == {"loss", "rec", "aux", "kl_g", "kl_l"}
    assert all(t.dim() == 0 and torch.isfinite(t) for t in terms.values())
    assert terms["kl_g"] >= 0 and terms["kl_l"] >= 0
    expected = terms["rec"] + terms["aux"] + 1.0 * (terms["kl_g"] + terms["kl_l"])
    assert torch.allclose(terms["loss"], expected)
    post = model.encode(x)
    assert post.mu_g.shape == (4, 6) and post.mu_l.shape == (4, 5) and (post.std_g > 0).all()
    assert model.decode(post.mu_g, post.mu_l).shape == x.shape
    assert model.sample(3).shape == (3, 3, 32, 32)
    x_hat, rec, aux_rec = model.reconstruct_with_aux(x)
    assert x_hat.shape == rec.shape == aux_rec.shape == x.shape


def test_local_code_sees_only_the_transformed_image(x):
    model = models.build(AuxVAEConfig(widths=(8, 16), patch_size=4))
    x_hat = model.transform(x.float() / 255, torch.Generator().manual_seed(0))
    other = torch.randint(0, 256, x.shape, dtype=torch.uint8)
    a, b = model.encode(x, x_hat), model.encode(other, x_hat)
    assert torch.equal(a.mu_l, b.mu_l) and not torch.equal(a.mu_g, b.mu_g)


def test_gradient_of_the_auxiliary_term_reaches_only_the_local_path(x):
    model = models.build(AuxVAEConfig(widths=(8, 16)))
    model.loss(x)["aux"].backward()
    assert all(p.grad is None or p.grad.abs().sum() == 0 for p in model.enc_g.parameters())
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in model.enc_l.parameters())


def test_without_auxiliary_task_there_is_no_auxiliary_decoder(x):
    model = models.build(AuxVAEConfig(widths=(8, 16), aux=False))
    assert model.aux_dec is None
    assert model.loss(x)["aux"].item() == 0.0
    post = model.encode(x)
    assert post.mu_l.shape[1] == 32
    with pytest.raises(ValueError, match="aux=True"):
        model.decode_aux(post.mu_l)


def test_beta_weights_the_kl_terms(x):
    model = models.build(AuxVAEConfig(widths=(8, 16), beta=4.0))
    torch.manual_seed(0)
    t = model.loss(x)
    assert torch.allclose(t["loss"], t["rec"] + t["aux"] + 4.0 * (t["kl_g"] + t["kl_l"]))


def test_grayscale_transform_model(x):
    model = models.build(AuxVAEConfig(widths=(8, 16), transform="grayscale"))
    x_hat = model.transform(x.float() / 255)
    assert torch.equal(x_hat[:, 0], x_hat[:, 1])
    assert torch.isfinite(model.loss(x)["loss"])


def test_build_rejects_unknown_configs():
    with pytest.raises(ValueError, match="config must be one of"):
        models.build(object())


def test_classifier_learns_a_trivially_separable_task():
    from auxlib.model.config import ClassifierConfig

    torch.manual_seed(0)
    x = torch.zeros(64, 3, 32, 32, dtype=torch.uint8)
    y = torch.arange(64) % 2
    x[y == 1, :, :16] = 255  # class 1: bright top half
    model = models.build(ClassifierConfig(n_classes=2, widths=(8, 16)))
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(30):
        terms = model.loss(x, y)
        optimiser.zero_grad()
        terms["loss"].backward()
        optimiser.step()
    assert set(terms) == {"loss", "acc"}
    assert torch.equal(models.predict(model, x, batch_size=10), y)
    assert model.training  # predict restores the mode
    with pytest.raises(ValueError, match="y must hold the labels"):
        model.loss(x)


def gmvae(**changes):
    return models.build(AuxGMVAEConfig(**{"k": 5, "z_g": 4, "z_l": 3, "widths": (8, 16), **changes}))


def test_gmvae_loss_is_eq_11(x):
    model = gmvae(beta=2.0, alpha=3.0)
    torch.manual_seed(0)
    terms = model.loss(x)
    assert set(terms) == {"loss", "rec", "aux", "kl_g", "kl_l", "kl_y"}
    assert terms["kl_y"] >= 0 and torch.isfinite(terms["kl_g"])
    expected = terms["rec"] + terms["aux"] + 2.0 * (terms["kl_g"] + terms["kl_l"]) + 3.0 * terms["kl_y"]
    assert torch.allclose(terms["loss"], expected)
    assert model.cluster_logits(x).shape == (4, 5) and model.sample(3).shape == (3, 3, 32, 32)


def test_gmvae_y_kl_vanishes_for_a_uniform_posterior(x):
    model = gmvae()
    with torch.no_grad():
        model.y_head[-1].weight.zero_()
        model.y_head[-1].bias.zero_()
    assert model.loss(x)["kl_y"].abs() < 1e-6
    with torch.no_grad():
        model.y_head[-1].bias[0] = 50.0  # all mass on one cluster: KL = log k
    assert torch.isclose(model.loss(x)["kl_y"], torch.tensor(math.log(5)), atol=1e-4)


def test_gaussian_kl_against_torch_distributions():
    from torch.distributions import Normal, kl_divergence

    g = torch.Generator().manual_seed(0)
    mu, std, pmu, pstd = torch.randn(3, 4, generator=g), torch.rand(3, 4, generator=g) + 0.1, \
        torch.randn(3, 4, generator=g), torch.rand(3, 4, generator=g) + 0.1
    expected = kl_divergence(Normal(mu, std), Normal(pmu, pstd)).sum(1)
    assert torch.allclose(models.gaussian_kl(mu, std, pmu, pstd), expected, atol=1e-5)
    standard = kl_divergence(Normal(mu, std), Normal(0.0, 1.0)).sum(1)
    assert torch.allclose(models.gaussian_kl(mu, std), standard, atol=1e-5)


def test_gmvae_temperature_is_constant_or_annealed():
    assert gmvae(tau=0.4).tau == 0.4
    model = gmvae(tau=0.5, tau_start=2.0, anneal_steps=100)
    for step, tau in [(0, 2.0), (50, 1.0), (100, 0.5), (10_000, 0.5)]:
        model.set_step(step)
        assert model.tau == pytest.approx(tau)


@pytest.mark.parametrize("changes, message", [
    (dict(k=1), "k must be an integer >= 2"),
    (dict(tau=0), "tau must be a positive number"),
    (dict(tau_start=-1.0), "tau_start must be None"),
    (dict(alpha=-2), "alpha must be a number >= 0"),
    (dict(y_hidden=[0]), "y_hidden must be a list of positive integers"),
])
def test_gmvae_config_rejects_bad_values(changes, message):
    with pytest.raises(ValueError, match=message):
        AuxGMVAEConfig(**changes)


def test_split_preset_is_the_reference_network_with_its_parameter_count():
    cfg = AuxVAEConfig(arch="split", z_g=128, z_l=128, likelihood="logistic")
    model = models.build(cfg)
    assert models.count_parameters(model) == 3_204_748
    kernels = [m.kernel_size[0] for m in model.enc_g.modules() if isinstance(m, torch.nn.Conv2d)]
    assert kernels == [6, 6, 4]
    kernels = [m.kernel_size[0] for m in model.dec.modules() if isinstance(m, torch.nn.Conv2d)]
    assert kernels == [4, 4, 6, 6] and model.dec.net[-1].out_channels == 6
    x = torch.randint(0, 256, (2, 3, 32, 32), dtype=torch.uint8)
    assert model.decode(*model.encode(x)[::2]).shape == (2, 3, 32, 32)


def test_same_padding_puts_the_odd_pixel_after_the_image():
    # TensorFlow's "same", stride 1: a 4x4 kernel sees one pixel before and two after; a 6x6 kernel two and three.
    for kernel, before in ((4, 1), (6, 2)):
        conv = models.SameConv2d(1, 1, kernel)
        with torch.no_grad():
            conv.weight.zero_()
            conv.weight[0, 0, 0, 0] = 1.0  # the top-left tap reads the input `before` pixels up and to the left
            conv.bias.zero_()
        image = torch.arange(1.0, 65.0).view(1, 1, 8, 8)
        out = conv(image)
        assert out.shape == image.shape
        assert torch.equal(out[0, 0, before:, before:], image[0, 0, :8 - before, :8 - before])
        assert out[0, 0, :before].abs().sum() == 0


def test_split_decoder_resizes_like_tensorflow_bilinear():
    # tf.image.resize(bilinear, half-pixel centres) doubles [0, 1] to [0, 0.25, 0.75, 1].
    up = next(m for m in models.ConvDecoder(4, (8, 8, 8), 6, 4, arch="split").net if isinstance(m, torch.nn.Upsample))
    out = up(torch.tensor([[[[0.0, 1.0]]]]).expand(1, 1, 2, 2))
    assert torch.allclose(out[0, 0, 0], torch.tensor([0.0, 0.25, 0.75, 1.0]))


def test_kl_weights_warm_up_linearly_from_zero(x):
    model = gmvae(beta=4.0, alpha=2.0, warmup_steps=10)
    for step, factor in [(0, 0.0), (5, 0.5), (10, 1.0), (500, 1.0)]:
        model.set_step(step)
        assert model.warmup == pytest.approx(factor)
    model.set_step(5)
    torch.manual_seed(0)
    terms = model.loss(x)
    expected = terms["rec"] + terms["aux"] + 0.5 * (4.0 * (terms["kl_g"] + terms["kl_l"]) + 2.0 * terms["kl_y"])
    assert torch.allclose(terms["loss"], expected)
    assert models.build(AuxVAEConfig(z_g=4, z_l=3, widths=(8, 16))).warmup == 1.0  # no warm-up: full weights


def test_joint_posterior_conditions_z_g_on_y_and_the_factorised_one_does_not(x):
    y = torch.eye(5)[:4]
    for posterior, depends in [("joint", True), ("factorised", False)]:
        model = gmvae(posterior=posterior).eval()
        features = model.enc_g.features(models.to_unit(x))
        given = model.enc_g.gaussian(features, y if depends else None)[0]
        if depends:
            assert not torch.allclose(given, model.enc_g.gaussian(features, y.roll(1, 0))[0])
            with pytest.raises(ValueError, match="y must be given"):
                model.enc_g.gaussian(features)
        else:
            assert model.enc_g.condition is None
        assert model.encode(x).mu_g.shape == (4, 4)
        assert torch.isfinite(model.loss(x)["loss"])


def test_split_branch_is_splits_z_g_and_y_layers():
    # [SPLIT]: z_g convolutions of the top width with ELU, dropout and a 512-unit ELU layer before the heads,
    # standard deviations starting at softplus(1), y head 1024-128 with dropout after the first layer only.
    model = gmvae(branch="split", posterior="joint", y_hidden=(1024, 128), widths=(8, 16, 32))
    convs = [m for m in model.enc_g.trunk if isinstance(m, torch.nn.Conv2d)]
    assert [c.out_channels for c in convs] == [32, 32, 32]
    assert any(isinstance(m, torch.nn.ELU) for m in model.enc_g.trunk)
    assert model.enc_g.hidden[1].out_features == 512 and model.enc_g.condition[0].out_features == 512
    assert torch.all(model.enc_g.head.bias[4:] == 1.0) and torch.all(model.prior_g.bias[4:] == 1.0)
    dropouts = [i for i, m in enumerate(model.y_head) if isinstance(m, torch.nn.Dropout)]
    assert len(dropouts) == 1 and isinstance(model.y_head[dropouts[0] - 2], torch.nn.Linear)
    assert model.y_head[dropouts[0] - 2].out_features == 1024


def test_mixture_auxiliary_likelihood_is_the_auxiliary_decoders_alone(x):
    model = models.build(AuxVAEConfig(z_g=4, z_l=3, widths=(8, 16), aux_components=2))
    assert model.aux_dec.net[-1].out_channels == 2 * (1 + 2 * 3) and model.dec.net[-1].out_channels == 6
    assert torch.isfinite(model.loss(x)["aux"]) and model.decode_aux(torch.zeros(2, 3)).shape == (2, 3, 32, 32)
    with pytest.raises(ValueError, match="aux_components must be 1 for the gaussian likelihood"):
        AuxVAEConfig(likelihood="gaussian", aux_components=2)


def test_an_augmented_classifier_trains_on_moved_and_mirrored_images_and_predicts_on_the_images_given():
    from auxlib.model.config import ClassifierConfig

    model = models.build(ClassifierConfig(widths=(8,), shift=3, flip=True)).eval()  # no dropout noise
    x = torch.randint(0, 256, (6, 3, 32, 32), dtype=torch.uint8)
    y = torch.arange(6) % 10
    loss = lambda seed: model.loss(x, y, generator=torch.Generator().manual_seed(seed))["loss"]  # noqa: E731
    assert torch.isfinite(loss(0)) and loss(0) == loss(0) and loss(0) != loss(1)  # other draws, other images
    plain = models.build(ClassifierConfig(widths=(8,))).eval()
    plain.load_state_dict(model.state_dict())
    assert torch.equal(model(x), plain(x))  # predictions read the images as given


def test_beta_g_and_beta_l_weight_each_kl_term_apart(x):
    model = models.build(AuxVAEConfig(widths=(8, 16), beta=2.0, beta_g=5.0))
    assert model.config.kl_weights == (5.0, 2.0)
    t = model.loss(x)
    assert torch.allclose(t["loss"], t["rec"] + t["aux"] + 5.0 * t["kl_g"] + 2.0 * t["kl_l"])


def test_glorot_initialisation_zeroes_biases_and_bounds_kernels_as_keras_does():
    model = models.build(AuxVAEConfig(widths=(8, 16), arch="compact", init="glorot"))
    for layer in model.modules():
        if isinstance(layer, (torch.nn.Linear, torch.nn.Conv2d, torch.nn.ConvTranspose2d)):
            fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(layer.weight)
            assert layer.weight.abs().max() <= math.sqrt(6 / (fan_in + fan_out))
            assert layer.bias is None or not layer.bias.any()
    default = models.build(AuxVAEConfig(widths=(8, 16)))
    assert default.dec.fc.bias.any()


@pytest.mark.parametrize("arch", ["compact", "split"])
def test_a_film_decoder_starts_as_the_concat_decoder_and_learns_a_modulation_from_z_l(x, arch):
    widths = (8, 16, 32) if arch == "split" else (8, 16)
    plain = models.build(AuxVAEConfig(widths=widths, arch=arch))
    film = models.build(AuxVAEConfig(widths=widths, arch=arch, decoder="film"))
    missing = film.load_state_dict(plain.state_dict(), strict=False).missing_keys
    assert missing == ["dec.film.weight", "dec.film.bias"]
    z_g, z_l = torch.randn(4, 32), torch.randn(4, 32)
    assert torch.allclose(film.decode(z_g, z_l), plain.decode(z_g, z_l))
    film.loss(x)["rec"].backward()
    assert film.dec.film.weight.grad.abs().sum() > 0
    with pytest.raises(ValueError, match="condition must be given"):
        film.dec(torch.cat([z_g, z_l], 1))


@pytest.mark.parametrize("view, invariance", [
    ("luma", lambda u: 0.3 + 0.5 * u),  # brightness and contrast
    ("luma", grayscale),  # a grey copy keeps each pixel's luma
    ("luma-aligned", lambda u: 1 - u),  # polarity too
])
def test_a_global_encoder_that_sees_standardised_luma_cannot_see_colour(x, view, invariance):
    model = models.build(AuxVAEConfig(widths=(8, 16), global_input=view)).eval()
    u = x.float() / 255
    u = torch.where(torch.rand(1, 1, 32, 32, generator=torch.Generator().manual_seed(1)) < 0.3, u, 0.5 * u)
    changed = invariance(u)
    assert torch.allclose(model.encode(u).mu_g, model.encode(changed).mu_g, atol=1e-4)
    assert not torch.allclose(model.encode(u).mu_l, model.encode(changed).mu_l, atol=1e-4)
    image = models.build(AuxVAEConfig(widths=(8, 16))).eval()
    assert not torch.allclose(image.encode(u).mu_g, image.encode(changed).mu_g, atol=1e-4)


def test_a_model_variant_is_one_registered_config_and_model_and_its_runs_reload():
    import dataclasses

    from auxlib import config as configs
    from auxlib import models

    @dataclasses.dataclass(frozen=True)
    class WideLocalConfig(configs.AuxVAEConfig):
        pass

    @models.register(WideLocalConfig)
    class WideLocal(models.AuxVAE):
        pass

    try:
        run = configs.RunConfig("synth-svhn", WideLocalConfig(z_g=2, z_l=2, widths=(4,)), configs.TrainConfig())
        assert isinstance(models.build(run.model), WideLocal)
        assert configs.RunConfig.from_dict(run.to_dict()) == run
        with pytest.raises(ValueError, match="builds WideLocal already"):
            models.register(WideLocalConfig)(WideLocal)
    finally:
        del models.MODELS[WideLocalConfig], configs.MODEL_CONFIGS["WideLocalConfig"]
    with pytest.raises(ValueError, match="model_type must be one of AuxVAEConfig, .*got 'WideLocalConfig'"):
        configs.RunConfig.from_dict(run.to_dict())


def test_elu_is_nn_elu_in_fp32_and_within_fp32_rounding_of_it_in_bf16():
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(4, 8, 6, 6, generator=gen) * 3
    assert torch.equal(models.ELU()(x), torch.nn.functional.elu(x))  # fp32: nn.ELU's own kernel
    ours, theirs = x.bfloat16().requires_grad_(), x.bfloat16().requires_grad_()
    grad = torch.randn(x.shape, generator=gen).bfloat16()
    y, expected = models.ELU()(ours), torch.nn.functional.elu(theirs)
    y.backward(grad)
    expected.backward(grad)
    assert y.dtype == torch.bfloat16 and (y.float() - expected.float()).abs().max() <= 1.2e-7
    assert torch.equal(ours.grad, theirs.grad)
