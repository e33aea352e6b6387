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
            mu, log_scale = params.chunk(2, dim=1)
            per_pixel = _logistic_nll(mu, log_scale, 2 * x - 1)
        return per_pixel.flatten(1).sum(1)

    def mean(self, params: torch.Tensor) -> torch.Tensor:
        return ((_split(params)[0].clamp(-1, 1) + 1) / 2)


_HALF_BIN = 1.0 / 255.0
_EDGE = 0.999  # x beyond +-_EDGE is the first or last level, whose bin takes the whole tail


def _log1mexp(d: torch.Tensor) -> torch.Tensor:
    """log(1 - exp(-d)) for d > 0, accurate for small d too (where 1 - exp(-d) would round to 0)."""
    return torch.log(-torch.expm1(-d))


_FAR = 80.0  # sigmoid(-80) = 1.8e-35 is still a normal float32, and log sigmoid(v) = v to rounding below it


def _log_sigmoid(v: torch.Tensor) -> torch.Tensor:
    """log sigmoid(v), as the log of the sigmoid down to v = -80 and as v itself below: ``F.logsigmoid`` to
    rounding, in operations the CPU runs vectorised."""
    return torch.sigmoid(v.clamp(min=-_FAR)).log_().add_((v + _FAR).clamp_(max=0))


def _logistic_nll(mu: torch.Tensor, log_scale: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """-log p(x) per subpixel for x in [-1, 1], composed of autograd ops.

    With a = (x - mu + 1/255) / s and b = (x - mu - 1/255) / s, the mass of an interior bin is
    sigmoid(a) - sigmoid(b) = sigmoid(a) sigmoid(-b) (1 - exp(b - a)), whose log is computed term by term and so
    never underflows; the first level's bin takes the lower tail, sigmoid(a), and the last level's the upper tail,
    sigmoid(-b).
    """
    log_scale = log_scale.clamp(min=_MIN_LOG_SCALE)
    inv_scale = torch.exp(-log_scale)
    a = inv_scale * (x - mu + _HALF_BIN)
    b = inv_scale * (x - mu - _HALF_BIN)
    low, high = x < -_EDGE, x > _EDGE
    log_prob = (torch.where(high, 0.0, F.logsigmoid(a)) + torch.where(low, 0.0, F.logsigmoid(-b))
                + torch.where(low | high, 0.0, _log1mexp(2 * _HALF_BIN * inv_scale)))
    return -log_prob


class _LogisticNLL(torch.autograd.Function):
    """:func:`_logistic_nll` of ``params`` = (mu, log-scale) along the channels, with its gradient worked out in the
    forward pass, in about half the operations.

    log p = [not last level] log sigmoid(a) + [not first level] log sigmoid(-b) + [interior] log(1 - exp(-d)),
    with d = a - b = (2/255) / s: exact at every level and every scale, with no fallback. Only operations that
    torch vectorises on the CPU are used (sigmoid, log, tanh, exp of a bounded argument; not ``logsigmoid``,
    ``expm1`` or ``log1p``, which run element by element there at a twentieth of the speed), on contiguous
    copies, as elementwise loops over a channel slice of a channels_last tensor do not vectorise either;
    backward is one product.
    """

    @staticmethod
    def forward(ctx, params: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        params, x = params.contiguous(), x.contiguous()
        mu, log_scale = params.chunk(2, dim=1)
        clamped = log_scale.clamp(min=_MIN_LOG_SCALE)
        inv_scale = torch.exp(-clamped)
        m = (x - mu).mul_(inv_scale)
        d = inv_scale.mul_(2 * _HALF_BIN)  # a - b; inv_scale is not needed as such below
        a, b = m + d / 2, m.sub_(d / 2)
        upper = (x <= _EDGE).to(x.dtype)  # 0 on the last level: its bin has no upper edge
        lower = (x >= -_EDGE).to(x.dtype)  # 0 on the first level: its bin has no lower edge
        interior = upper * lower
        t = (d / 2).tanh_()  # expm1(-d) = -2t / (1 + t) and 1 / expm1(d) = exp(-d) (1 + t) / 2t, exact for small d
        log1mexp = (2 * t).div_(t + 1).log_()
        log_prob = _log_sigmoid(a).mul_(upper).add_(_log_sigmoid(-b).mul_(lower)).add_(log1mexp.mul_(interior))
        if ctx.needs_input_grad[0]:
            # d log p / d(a, b, d), then the chain rule through (a, b, d) = (x - mu +- h, 2h) / scale
            d_a = torch.sigmoid(-a).mul_(upper)
            d_b = torch.sigmoid(b).mul_(lower).neg_()
            d_d = torch.exp(-d).mul_(t + 1).div_(2 * t).mul_(interior)
            grad = torch.empty_like(params)  # of -log p, for (mu, log-scale)
            grad_mu, grad_log_scale = grad.chunk(2, dim=1)
            torch.mul(d_a + d_b, d / (2 * _HALF_BIN), out=grad_mu)
            d_log_scale = (a * d_a).add_(b * d_b).add_(d_d.mul_(d))
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
