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

    def out_channels(self, channels: int) -> int:
        """Decoder output channels for images with ``channels`` channels."""
        return channels * self.params_per_channel

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
        params = params.to(torch.promote_types(params.dtype, torch.float32))
        if self.fused:
            per_pixel = _LogisticNLL.apply(params, 2 * x - 1)
        else:
            per_pixel = _logistic_nll(*params.chunk(2, dim=1), 2 * x - 1)
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
    """:func:`_logistic_nll` of ``params`` = (mu, log-scale) along the channels, with its gradient worked out in the
    forward pass, in about half the operations.

    The first and last levels are folded into the interior formula log(sigmoid(a) - sigmoid(b)) by setting
    sigmoid(a) = 1 on the last level and sigmoid(b) = 0 on the first. The few bins whose mass underflows (a few
    in ten thousand once training has begun) are gathered and fixed up on their own: log p is a on the first
    level, -b on the last (both exact to within 1e-5 nats there) and the density at the bin centre in between.
    The work runs on contiguous copies, as elementwise loops over a channel slice of a channels_last tensor do not
    vectorise; backward is one product.
    """

    @staticmethod
    def forward(ctx, params: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        params, x = params.contiguous(), x.contiguous()
        mu, log_scale = params.chunk(2, dim=1)
        clamped = log_scale.clamp(min=_MIN_LOG_SCALE)
        inv_scale = torch.exp(-clamped)
        m = (x - mu).mul_(inv_scale)
        half = inv_scale * _HALF_BIN
        a, b = m + half, m - half
        low = (x < -_EDGE).to(x.dtype)
        high = (x > _EDGE).to(x.dtype)
        sig_a = torch.maximum(torch.sigmoid(a), high)  # 1 on the last level: its bin takes the upper tail
        sig_b = torch.sigmoid(b).mul_(1 - low)  # 0 on the first level: its bin takes the lower tail
        delta = (sig_a - sig_b).clamp_(min=1e-12)
        log_prob = torch.log(delta)
        rare = (delta <= 1e-5).view(-1).nonzero().squeeze(1)
        if len(rare):
            ra, rb, rm, r_low, r_high = (t.view(-1)[rare] for t in (a, b, m, low, high))
            r_middle = 1 - r_low - r_high
            # log density at the bin centre times the bin width: log sigmoid(m) + log sigmoid(-m) - log s
            # - log 127.5, through sigmoid(|m|) >= 1/2, which cannot underflow
            t = rm.abs()
            log_pdf = torch.sigmoid(t).log_().mul_(2).sub_(t).sub_(clamped.view(-1)[rare]).sub_(_LOG_BIN)
            log_prob.view(-1)[rare] = r_low * ra - r_high * rb + r_middle * log_pdf
        if ctx.needs_input_grad[0]:
            # d log p / d(a, b, m) per case, then the chain rule through (a, b, m) = (x - mu +- h, x - mu) / scale
            scaled = delta.reciprocal_()
            d_a = (1 - sig_a).mul_(sig_a).mul_(scaled)
            d_b = (1 - sig_b).mul_(sig_b).mul_(scaled).neg_()
            d_log_scale = (a * d_a).add_(b * d_b)
            if len(rare):
                d_m = (1 - 2 * torch.sigmoid(rm)) * r_middle
                d_a.view(-1)[rare] = r_low
                d_b.view(-1)[rare] = -r_high
                d_log_scale.view(-1)[rare] = ra * r_low - rb * r_high + rm * d_m + r_middle
            d_mu = d_a + d_b
            if len(rare):
                d_mu.view(-1)[rare] += d_m
            grad = torch.empty_like(params)  # of -log p, for (mu, log-scale)
            grad_mu, grad_log_scale = grad.chunk(2, dim=1)
            torch.mul(d_mu, inv_scale, out=grad_mu)
            torch.mul(d_log_scale, (log_scale > _MIN_LOG_SCALE).to(x.dtype), out=grad_log_scale)
            ctx.save_for_backward(grad)
        return log_prob.neg_()

    @staticmethod
    def backward(ctx, grad_out: torch.Tensor) -> tuple[torch.Tensor, None]:
        (grad,) = ctx.saved_tensors
        both = grad.view(grad.shape[0], 2, grad.shape[1] // 2, *grad.shape[2:]) * grad_out.unsqueeze(1)
        return both.view_as(grad), None


class LogisticMixture(Likelihood):
    """A mixture of ``components`` discretised logistics per pixel (PixelCNN++, Salimans et al. 2017, without its
    linear coupling of the colour channels): one set of mixture weights per pixel, and per component a mean and a
    log-scale per channel, so a pixel can be "background colour, or sometimes stroke colour".

    Decoder output layout, along the channels: ``components`` mixture logits, then ``components * C`` means, then
    ``components * C`` log-scales (component-major). ``mean`` is the mixture's mean image.
    """

    name = "logistic-mixture"

    def __init__(self, components: int):
        if not (isinstance(components, int) and components >= 1):
            raise ValueError(f"components must be a positive integer, got {components!r}.")
        self.components = components

    def out_channels(self, channels: int) -> int:
        return self.components * (1 + 2 * channels)

    def _parts(self, params: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(log mixture weights (B, K, H, W), means (B, K, C, H, W), log-scales (B, K, C, H, W))."""
        k = self.components
        b, _, h, w = params.shape
        logits, mu, log_scale = params.split([k, (params.shape[1] - k) // 2, (params.shape[1] - k) // 2], dim=1)
        shape = (b, k, -1, h, w)
        return logits.log_softmax(1), mu.reshape(shape), log_scale.reshape(shape)

    def nll(self, params: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        params = params.to(torch.promote_types(params.dtype, torch.float32))
        log_weights, mu, log_scale = self._parts(params)
        per_component = -_logistic_nll(mu, log_scale, (2 * x - 1).unsqueeze(1)).sum(2)  # (B, K, H, W)
        return -torch.logsumexp(log_weights + per_component, dim=1).flatten(1).sum(1)

    def mean(self, params: torch.Tensor) -> torch.Tensor:
        log_weights, mu, _ = self._parts(params.float())
        return ((log_weights.exp().unsqueeze(2) * mu.clamp(-1, 1)).sum(1) + 1) / 2


_LIKELIHOODS = {cls.name: cls for cls in (Bernoulli, Gaussian, DiscretisedLogistic)}


def get(name: str, components: int = 1) -> Likelihood:
    """The likelihood called ``name`` (bernoulli, gaussian or logistic); with ``components`` > 1, a
    :class:`LogisticMixture` of that many discretised logistics (``name`` must then be logistic)."""
    if name not in _LIKELIHOODS:
        raise ValueError(f"likelihood must be one of {', '.join(_LIKELIHOODS)}, got {name!r}.")
    if components != 1:
        if name != "logistic":
            raise ValueError(f"components must be 1 for the {name} likelihood, got {components!r}.")
        return LogisticMixture(components)
    return _LIKELIHOODS[name]()


def bits_per_dim(nats: float, image_shape: tuple[int, ...]) -> float:
    """A negative log-likelihood in nats per image, as bits per subpixel (meaningful for discrete likelihoods)."""
    return nats / (math.prod(image_shape) * math.log(2))
