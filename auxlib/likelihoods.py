"""Pixel likelihoods p(x | decoder output): Bernoulli, Gaussian and discretised logistic.

Each takes the decoder's raw output and images scaled to [0, 1], and returns the negative log-likelihood of
each image in nats, summed over its pixels. ``mean`` turns the raw output into a displayable [0, 1] image.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

_MIN_LOG_SCALE = -7.0


class Likelihood:
    """Interface: ``params_per_channel`` decoder outputs per image channel, ``nll`` and ``mean``."""

    name: str
    params_per_channel: int

    def nll(self, params: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """Negative log-likelihood of each image ``x`` in [0, 1], shape (B,), in nats."""
        raise NotImplementedError

    def mean(self, params: torch.Tensor) -> torch.Tensor:
        """The image the decoder predicts, in [0, 1]."""
        raise NotImplementedError


class Bernoulli(Likelihood):
    """Pixel intensities treated as Bernoulli probabilities (binary cross-entropy with soft targets)."""

    name = "bernoulli"
    params_per_channel = 1

    def nll(self, params: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return F.binary_cross_entropy_with_logits(params, x, reduction="none").flatten(1).sum(1)

    def mean(self, params: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(params)


def _split(params: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    mu, log_scale = params.chunk(2, dim=1)
    return mu, log_scale.clamp(min=_MIN_LOG_SCALE)


class Gaussian(Likelihood):
    """Gaussian density per subpixel on [-1, 1] with a predicted mean and log-scale."""

    name = "gaussian"
    params_per_channel = 2

    def nll(self, params: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        mu, log_scale = _split(params)
        z = (2 * x - 1 - mu) * torch.exp(-log_scale)
        per_pixel = 0.5 * z**2 + log_scale + 0.5 * math.log(2 * math.pi)
        return per_pixel.flatten(1).sum(1)

    def mean(self, params: torch.Tensor) -> torch.Tensor:
        return ((_split(params)[0].clamp(-1, 1) + 1) / 2)


class DiscretisedLogistic(Likelihood):
    """Discretised logistic over 256 levels per subpixel, as in PixelCNN++ (one component), on [-1, 1]."""

    name = "logistic"
    params_per_channel = 2
    _HALF_BIN = 1.0 / 255.0

    def nll(self, params: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        mu, log_scale = _split(params)
        x = 2 * x - 1
        centred = x - mu
        inv_scale = torch.exp(-log_scale)
        plus_in = inv_scale * (centred + self._HALF_BIN)
        min_in = inv_scale * (centred - self._HALF_BIN)
        log_cdf_plus = plus_in - F.softplus(plus_in)  # log sigmoid: the whole tail below the first level
        log_one_minus_cdf_min = -F.softplus(min_in)  # the whole tail above the last level
        cdf_delta = torch.sigmoid(plus_in) - torch.sigmoid(min_in)
        mid_in = inv_scale * centred
        # When the bin's mass underflows, fall back to the density at its centre times the bin width.
        log_pdf_mid = mid_in - log_scale - 2 * F.softplus(mid_in) - math.log(127.5)
        log_mid = torch.where(cdf_delta > 1e-5, torch.log(cdf_delta.clamp(min=1e-12)), log_pdf_mid)
        log_prob = torch.where(x < -0.999, log_cdf_plus, torch.where(x > 0.999, log_one_minus_cdf_min, log_mid))
        return -log_prob.flatten(1).sum(1)

    def mean(self, params: torch.Tensor) -> torch.Tensor:
        return ((_split(params)[0].clamp(-1, 1) + 1) / 2)


_LIKELIHOODS = {cls.name: cls for cls in (Bernoulli, Gaussian, DiscretisedLogistic)}


def get(name: str) -> Likelihood:
    """The likelihood called ``name`` (bernoulli, gaussian or logistic)."""
    if name not in _LIKELIHOODS:
        raise ValueError(f"likelihood must be one of {', '.join(_LIKELIHOODS)}, got {name!r}.")
    return _LIKELIHOODS[name]()


def bits_per_dim(nats: float, image_shape: tuple[int, ...]) -> float:
    """A negative log-likelihood in nats per image, as bits per subpixel (meaningful for discrete likelihoods)."""
    return nats / (math.prod(image_shape) * math.log(2))
