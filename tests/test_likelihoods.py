import math

import pytest
import torch
import torch.nn.functional as F

from auxlib import likelihoods


def test_discretised_logistic_is_a_distribution_over_256_levels():
    # Sum of the probabilities of every level of one subpixel must be 1, for any mean and scale.
    levels = torch.arange(256, dtype=torch.float32).view(256, 1, 1, 1) / 255
    lik = likelihoods.get("logistic")
    for mu, log_scale in [(0.0, -2.0), (0.7, -4.0), (-0.99, -1.0), (0.2, -6.5)]:
        params = torch.tensor([mu, log_scale]).view(1, 2, 1, 1).expand(256, 2, 1, 1)
        total = torch.exp(-lik.nll(params, levels)).sum().item()
        assert total == pytest.approx(1.0, abs=2e-3)


def test_gaussian_matches_torch_distributions():
    params = torch.randn(4, 6, 5, 5)
    x = torch.rand(4, 3, 5, 5)
    mu, log_scale = params.chunk(2, dim=1)
    expected = -torch.distributions.Normal(mu, log_scale.exp()).log_prob(2 * x - 1).flatten(1).sum(1)
    assert torch.allclose(likelihoods.get("gaussian").nll(params, x), expected, rtol=1e-5)


def test_bernoulli_is_binary_cross_entropy():
    logits, x = torch.randn(3, 3, 4, 4), torch.rand(3, 3, 4, 4)
    expected = F.binary_cross_entropy(torch.sigmoid(logits), x, reduction="none").flatten(1).sum(1)
    assert torch.allclose(likelihoods.get("bernoulli").nll(logits, x), expected, rtol=1e-4)


@pytest.mark.parametrize("name", ["bernoulli", "gaussian", "logistic"])
def test_mean_is_an_image_in_unit_range(name):
    lik = likelihoods.get(name)
    mean = lik.mean(torch.randn(2, 3 * lik.params_per_channel, 4, 4) * 5)
    assert mean.shape == (2, 3, 4, 4) and mean.min() >= 0 and mean.max() <= 1


def test_sharper_logistic_scores_the_right_level_higher():
    lik = likelihoods.get("logistic")
    x = torch.full((1, 1, 1, 1), 128 / 255)
    right = torch.tensor([2 * 128 / 255 - 1, math.log(0.002)]).view(1, 2, 1, 1)
    wrong = torch.tensor([0.5, math.log(0.002)]).view(1, 2, 1, 1)
    assert lik.nll(right, x) < lik.nll(wrong, x)


def test_unknown_likelihood():
    with pytest.raises(ValueError, match="likelihood must be one of"):
        likelihoods.get("poisson")


def test_fused_logistic_matches_the_autograd_reference_in_value_and_gradient():
    # Every case: first and last level, interior bins, bins whose mass underflows, log-scales under the clamp.
    gen = torch.Generator().manual_seed(0)
    x = torch.randint(0, 256, (2, 3, 20, 20), generator=gen).double() / 255
    mu = (torch.randn(2, 3, 20, 20, generator=gen) * 1.2).double()
    log_scale = (torch.randn(2, 3, 20, 20, generator=gen) * 3 - 3).double()
    values, grads = [], []
    for fused in (True, False):
        params = torch.cat([mu, log_scale], 1).requires_grad_()
        nll = likelihoods.DiscretisedLogistic(fused=fused).nll(params, x)
        values.append(nll)
        grads.append(torch.autograd.grad(nll.sum(), params)[0])
    assert torch.allclose(values[0], values[1], rtol=1e-10)
    assert torch.allclose(grads[0], grads[1], rtol=1e-6, atol=1e-9)
    assert (log_scale < -7).any() and (x == 0).any() and (x == 1).any()
    per_pixel = likelihoods._logistic_nll(mu, log_scale, 2 * x - 1)
    assert (per_pixel > -math.log(1e-5)).any()  # bins whose mass underflows: the fused path's rare fix-ups


def test_logistic_mixture_is_a_distribution_over_the_colours_of_a_pixel():
    # Summed over the 256 levels of each channel, a pixel's probabilities total 1 (the channels are independent
    # given the component, so the sum factorises over one channel at a time).
    lik = likelihoods.get("logistic", components=2)
    assert lik.out_channels(1) == 2 * (1 + 2)
    levels = torch.arange(256, dtype=torch.float32).view(256, 1, 1, 1) / 255
    params = torch.tensor([0.3, -0.4, -0.5, 0.6, -3.0, -2.0]).view(1, 6, 1, 1).expand(256, 6, 1, 1)
    assert torch.exp(-lik.nll(params, levels)).sum().item() == pytest.approx(1.0, abs=2e-3)


def test_logistic_mixture_of_equal_components_is_one_logistic():
    gen = torch.Generator().manual_seed(1)
    x = torch.randint(0, 256, (2, 3, 5, 5), generator=gen).float() / 255
    mu, log_scale = torch.randn(2, 3, 5, 5, generator=gen) * 0.5, torch.randn(2, 3, 5, 5, generator=gen) - 3
    single = likelihoods.DiscretisedLogistic(fused=False).nll(torch.cat([mu, log_scale], 1), x)
    logits = torch.randn(2, 2, 5, 5, generator=gen)  # any weights: the components are the same
    params = torch.cat([logits, mu, mu, log_scale, log_scale], 1)
    mixture = likelihoods.get("logistic", components=2)
    assert torch.allclose(mixture.nll(params, x), single, rtol=1e-5)
    assert torch.allclose(mixture.mean(params), likelihoods.get("logistic").mean(torch.cat([mu, log_scale], 1)),
                          atol=1e-6)


def test_logistic_mixture_mean_weights_the_component_means():
    # Weights 3:1 on means 1 and -1 ([-1, 1] scale): the mean image is 0.5 on [-1, 1], 0.75 on [0, 1].
    params = torch.tensor([math.log(3.0), 0.0, 1.0, -1.0, -2.0, -2.0]).view(1, 6, 1, 1)
    assert likelihoods.get("logistic", components=2).mean(params).item() == pytest.approx(0.75)


def test_mixtures_are_of_logistics_only():
    with pytest.raises(ValueError, match="components must be 1 for the gaussian likelihood"):
        likelihoods.get("gaussian", components=2)


def exact_log_mass(level: torch.Tensor, mu: float, log_scale: float) -> torch.Tensor:
    """log P(level) of the discretised logistic in float64, from the tail on the far side of the mean, so that no
    difference of two numbers near 1 is taken: the reference for every level and every scale."""
    x = level.double() / 127.5 - 1
    s = math.exp(log_scale)
    upper = torch.where(level == 255, torch.tensor(math.inf, dtype=torch.float64), (x + 1 / 255 - mu) / s)
    lower = torch.where(level == 0, torch.tensor(-math.inf, dtype=torch.float64), (x - 1 / 255 - mu) / s)
    above = torch.sigmoid(-lower) - torch.sigmoid(-upper)  # accurate where the bin lies above the mean
    below = torch.sigmoid(upper) - torch.sigmoid(lower)  # accurate where it lies below
    return torch.where(lower > 0, above, below).log()


@pytest.mark.parametrize("fused", [True, False])
def test_logistic_is_exact_at_every_level_and_scale(fused):
    likelihood = likelihoods.DiscretisedLogistic(fused=fused)
    levels = torch.arange(256)
    for mu in (-1.0, -0.3, 0.0, 0.5, 1.0):
        for log_scale in (-7.0, -4.0, -1.0, 0.0, 3.0):
            params = torch.tensor([mu, log_scale]).view(1, 2, 1, 1).expand(256, 2, 1, 1)
            nll = likelihood.nll(params, (levels.float() / 255).view(256, 1, 1, 1))
            expected = -exact_log_mass(levels, mu, log_scale)
            finite = torch.isfinite(expected)  # masses below float64's range are left out
            assert torch.allclose(nll.double()[finite], expected[finite], rtol=1e-5, atol=1e-4), (mu, log_scale)


def test_logistic_at_the_scale_floor_is_the_exact_mass_not_a_density():
    # level 130 with mean 0 and log-scale -7: the bin centre density times its width is 2 nats off the mass
    params = torch.tensor([0.0, -7.0]).view(1, 2, 1, 1)
    x = torch.full((1, 1, 1, 1), 130 / 255)
    for fused in (True, False):
        nll = likelihoods.DiscretisedLogistic(fused=fused).nll(params, x)
        assert nll.item() == pytest.approx(-exact_log_mass(torch.tensor([130]), 0.0, -7.0).item(), abs=1e-4)
        assert nll.item() == pytest.approx(17.20, abs=0.01)
