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
    """Discretised logistic over 256 levels per subpixel, as in PixelCNN++ (one component), on [-1, 1].

    ``fused=True`` (the default) computes the loss and its gradient in one pass (:class:`_LogisticNLL`); ``False``
    composes autograd ops as a first port would, and serves as the reference the fused one is tested against.
    """

    name = "logistic"
    params_per_channel = 2

    def __init__(self, fused: bool = True):
        self.fused = fused

    def nll(self, params: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        # under bf16 autocast the decoder's output is bf16: the likelihood is computed in fp32 (or finer) anyway
        mu, log_scale = params.to(torch.promote_types(params.dtype, torch.float32)).chunk(2, dim=1)
        per_pixel = (_LogisticNLL.apply if self.fused else _logistic_nll)(mu, log_scale, 2 * x - 1)
        return per_pixel.flatten(1).sum(1)

    def mean(self, params: torch.Tensor) -> torch.Tensor:
        return ((_split(params)[0].clamp(-1, 1) + 1) / 2)


_HALF_BIN = 1.0 / 255.0
_LOG_BIN = math.log(127.5)  # the density at a bin's centre times the bin width 2/255, in logs
_EDGE = 0.999  # x beyond +-_EDGE is the first or last level, whose bin takes the whole tail


def _logistic_nll(mu: torch.Tensor, log_scale: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """-log p(x) per subpixel for x in [-1, 1], composed of autograd ops."""
    log_scale = log_scale.clamp(min=_MIN_LOG_SCALE)
    centred = x - mu
    inv_scale = torch.exp(-log_scale)
    plus_in = inv_scale * (centred + _HALF_BIN)
    min_in = inv_scale * (centred - _HALF_BIN)
    log_cdf_plus = plus_in - F.softplus(plus_in)  # log sigmoid: the whole tail below the first level
    log_one_minus_cdf_min = -F.softplus(min_in)  # the whole tail above the last level
    cdf_delta = torch.sigmoid(plus_in) - torch.sigmoid(min_in)
    mid_in = inv_scale * centred
    # When the bin's mass underflows, fall back to the density at its centre times the bin width.
    log_pdf_mid = mid_in - log_scale - 2 * F.softplus(mid_in) - _LOG_BIN
    log_mid = torch.where(cdf_delta > 1e-5, torch.log(cdf_delta.clamp(min=1e-12)), log_pdf_mid)
    log_prob = torch.where(x < -_EDGE, log_cdf_plus, torch.where(x > _EDGE, log_one_minus_cdf_min, log_mid))
    return -log_prob


class _LogisticNLL(torch.autograd.Function):
    """:func:`_logistic_nll` with its gradient worked out in the forward pass, in about half the operations.

    The first and last levels are folded into the interior formula log(sigmoid(a) - sigmoid(b)) by setting
    sigmoid(a) = 1 on the last level and sigmoid(b) = 0 on the first; where that mass underflows, log p is a on the
    first level, -b on the last (both exact to within 1e-5 nats there) and the density fallback in between. The
    cases are blended with 0/1 masks, since ``where`` is slow on the CPU, and backward is two products.
    """

    @staticmethod
    def forward(ctx, mu: torch.Tensor, log_scale: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        clamped = log_scale.clamp(min=_MIN_LOG_SCALE)
        inv_scale = torch.exp(-clamped)
        m = inv_scale * (x - mu)
        half = inv_scale * _HALF_BIN
        a, b = m + half, m - half
        low = (x < -_EDGE).to(x.dtype)
        high = (x > _EDGE).to(x.dtype)
        sig_a = torch.maximum(torch.sigmoid(a), high)  # 1 on the last level: its bin takes the upper tail
        sig_b = torch.sigmoid(b) * (1 - low)  # 0 on the first level: its bin takes the lower tail
        delta = sig_a - sig_b
        ok = (delta > 1e-5).to(x.dtype)
        middle = 1 - low - high
        sig_m = torch.sigmoid(m)
        # log density at the bin centre times the bin width: m - log s - 2 softplus(m) - log 127.5
        softplus_m = m.clamp(min=0) + torch.log(1 + torch.exp(-m.abs()))  # exp and log vectorise, log1p does not
        fallback = low * a - high * b + middle * (m - clamped - 2 * softplus_m - _LOG_BIN)
        log_prob = fallback + ok * (torch.log(delta.clamp(min=1e-12)) - fallback)
        if ctx.needs_input_grad[0] or ctx.needs_input_grad[1]:
            # d log p / d(a, b, m) per case, then the chain rule through (a, b, m) = (x - mu +- h, x - mu) / scale
            rest = 1 - ok
            scaled = ok / delta.clamp(min=1e-12)
            d_a = scaled * sig_a * (1 - sig_a) + rest * low
            d_b = -scaled * sig_b * (1 - sig_b) - rest * high
            d_m = rest * middle * (1 - 2 * sig_m)
            grad_mu = inv_scale * (d_a + d_b + d_m)  # of -log p
            grad_log_scale = (a * d_a + b * d_b + m * d_m + rest * middle) * (log_scale > _MIN_LOG_SCALE)
            ctx.save_for_backward(grad_mu, grad_log_scale)
        return -log_prob

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, None]:
        grad_mu, grad_log_scale = ctx.saved_tensors
        return grad * grad_mu, grad * grad_log_scale, None


_LIKELIHOODS = {cls.name: cls for cls in (Bernoulli, Gaussian, DiscretisedLogistic)}


def get(name: str) -> Likelihood:
    """The likelihood called ``name`` (bernoulli, gaussian or logistic)."""
    if name not in _LIKELIHOODS:
        raise ValueError(f"likelihood must be one of {', '.join(_LIKELIHOODS)}, got {name!r}.")
    return _LIKELIHOODS[name]()


def bits_per_dim(nats: float, image_shape: tuple[int, ...]) -> float:
    """A negative log-likelihood in nats per image, as bits per subpixel (meaningful for discrete likelihoods)."""
    return nats / (math.prod(image_shape) * math.log(2))
