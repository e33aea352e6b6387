"""Models: the AuxVAE of the paper's section 2 and the convolutional blocks it is made of.

Every model takes images as uint8 (or float in [0, 1]) NCHW tensors and has a ``loss(x, y=None, generator=None)``
that returns a dict of scalar tensors with the total under ``"loss"``; that is all :mod:`auxlib.train` needs.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple, cast

import torch
import torch.nn.functional as F
from torch import nn

from . import likelihoods, transforms
from .config import MODEL_CONFIGS, AuxGMVAEConfig, AuxVAEConfig, ClassifierConfig
from .transforms import random_shift_flip, standardised_luma


def to_unit(x: torch.Tensor) -> torch.Tensor:
    """uint8 images to float in [0, 1]; float images are returned as they are."""
    return x.float().div_(255) if x.dtype == torch.uint8 else x


def glorot_(module: nn.Module) -> None:
    """Glorot-uniform weights and zero biases for every dense and convolutional layer of ``module``: how Keras
    starts its layers, and so how [SPLIT]'s networks start (``init="glorot"``)."""
    for layer in module.modules():
        if isinstance(layer, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.xavier_uniform_(layer.weight)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)


class ELU(nn.ELU):
    """``nn.ELU`` (alpha 1) whose bf16 forward on a CPU is relu(x) + exp(min(x, 0)) - 1, the exponential taken in
    fp32: torch's CPU kernel computes expm1 element by element, and this form's vectorised operations halve the
    time of a forward and backward pass (2M elements on two cores: 12.8 ms against 6.5 ms). Before the rounding
    to bf16 the two differ by at most 1.2e-7 (fp32's spacing at 1), against bf16's spacing of 0.4% of the value.
    fp32 and other devices keep ``nn.ELU``'s kernel, and the backward is its own."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dtype != torch.bfloat16 or x.device.type != "cpu" or self.alpha != 1.0:
            return super().forward(x)
        return cast(torch.Tensor, _ExpELU.apply(x))


class _ExpELU(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(x)
        return torch.exp(x.clamp(max=0).float()).sub_(1).to(x.dtype).add_(F.relu(x))  # one of the terms is 0

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        (x,) = ctx.saved_tensors
        return torch.ops.aten.elu_backward(grad, 1.0, 1, 1, False, x)


class SameConv2d(nn.Conv2d):
    """Stride-1 convolution with TensorFlow's "same" padding: for an even kernel the odd row and column of
    padding go after the image. Only that remainder is padded explicitly; the symmetric part is the convolution's
    own, which is faster than padding everything beforehand."""

    def __init__(self, in_channels: int, out_channels: int, kernel: int):
        super().__init__(in_channels, out_channels, kernel, padding=(kernel - 1) // 2)
        self.extra = (kernel - 1) % 2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(F.pad(x, (0, self.extra, 0, self.extra)) if self.extra else x)


class GaussianEncoder(nn.Module):
    """Strided convolutions, then dense layers for the mean and (softplus) standard deviation of q(z | x).

    The defaults are the AuxVAE's encoders. The AuxGMVAE's z_g encoder may add ``hidden`` (a dense ELU layer of
    that width after dropout at rate ``dropout``, [SPLIT]'s branch), ``condition`` (the width of a one-hot or
    relaxed y: a dense layer of y is added to the representation before the head, which makes q(z_g | x, y)
    joint) and ``std_bias`` (initial bias of the standard deviation's pre-softplus output; [SPLIT]: 1).
    ``init`` is one of :data:`auxlib.config.INITS`.
    """

    def __init__(self, in_channels: int, widths: tuple[int, ...], latent: int, spatial: int,
                 kernels: tuple[int, ...] | None = None, activation: type[nn.Module] = nn.ReLU, hidden: int = 0,
                 dropout: float = 0.0, condition: int = 0, std_bias: float = 0.0, init: str = "torch"):
        super().__init__()
        layers: list[nn.Module] = []
        for width, kernel in zip(widths, kernels or (4,) * len(widths)):
            # stride 2 with an even kernel: TF's "same" padding is symmetric, so the conv pads by itself
            layers += [nn.Conv2d(in_channels, width, kernel, stride=2, padding=(kernel - 2) // 2), activation()]
            in_channels = width
        self.trunk = nn.Sequential(*layers, nn.Flatten())
        width = widths[-1] * spatial * spatial
        self.hidden = nn.Sequential(nn.Dropout(dropout), nn.Linear(width, hidden), ELU()) if hidden else None
        width = hidden or width
        self.condition = None
        if condition:
            self.condition = nn.Sequential(nn.Linear(condition, width), *([ELU()] if hidden else []))
        self.head = nn.Linear(width, 2 * latent)
        if init == "glorot":
            glorot_(self)
        if std_bias:
            nn.init.constant_(self.head.bias[latent:], std_bias)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The flattened convolutional features of images in [0, 1]."""
        return self.trunk(x * 2 - 1)

    def gaussian(self, features: torch.Tensor, y: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and standard deviation of q(z | x) (or q(z | x, y), given ``y`` of shape (B, condition)) from the
        features."""
        h = features if self.hidden is None else self.hidden(features)
        if self.condition is not None:
            if y is None:
                raise ValueError("y must be given to an encoder built with condition > 0, got None.")
            h = h + self.condition(y.to(h.dtype))
        mu, raw_std = self.head(h).float().chunk(2, dim=1)  # fp32 latents under bf16 autocast too
        return mu, F.softplus(raw_std) + 1e-4

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.gaussian(self.features(x))


class ConvDecoder(nn.Module):
    """A dense layer to a small feature map, then convolutions up to the image size.

    ``arch="compact"``: 4x4 stride-2 transposed convolutions. ``arch="split"`` ([SPLIT]): at each stage a "same"
    convolution (kernels 4, 4, 6) then a bilinear x2 resize, and a last 6x6 convolution to the output channels.
    ``condition`` > 0 adds FiLM (Perez et al. 2018): a dense layer of a vector of that size gives a per-channel
    scale and shift of the feature map entering each stage, starting at the identity. ``init`` is one of
    :data:`auxlib.config.INITS`.
    """

    def __init__(self, latent: int, widths: tuple[int, ...], out_channels: int, spatial: int,
                 arch: str = "compact", condition: int = 0, init: str = "torch"):
        super().__init__()
        self.spatial = spatial
        self.top = widths[-1]
        self.fc = nn.Linear(latent, self.top * spatial * spatial)
        layers: list[nn.Module] = []
        stages: dict[int, int] = {}  # index in ``net`` of the layer that starts a stage -> channels entering it
        if arch == "split":
            stages[0] = self.top
            layers.append(nn.ReLU())
            c_in = self.top
            for c_out, kernel in zip(reversed(widths), _SPLIT_UP_KERNELS):
                layers += [SameConv2d(c_in, c_out, kernel), nn.ReLU(),
                           nn.Upsample(scale_factor=2, mode="bilinear")]  # tf.image.resize: half-pixel bilinear
                c_in = c_out
                stages[len(layers)] = c_in
            layers.append(SameConv2d(c_in, out_channels, 6))
        else:
            channels = [*reversed(widths), out_channels]
            for c_in, c_out in zip(channels[:-1], channels[1:]):
                stages[len(layers)] = c_in
                layers += [nn.ReLU(), nn.ConvTranspose2d(c_in, c_out, 4, stride=2, padding=1)]
        self.net = nn.Sequential(*layers)
        if init == "glorot":
            glorot_(self)
        self.film = None
        self.stages = stages
        if condition:
            self.film = nn.Linear(condition, 2 * sum(stages.values()))
            nn.init.zeros_(self.film.weight)
            nn.init.zeros_(self.film.bias)

    def forward(self, z: torch.Tensor, condition: torch.Tensor | None = None) -> torch.Tensor:
        """Likelihood parameters from latents ``z`` (B, latent); ``condition`` (B, condition) is required with
        FiLM and ignored without."""
        h = self.fc(z).view(-1, self.top, self.spatial, self.spatial)
        if self.film is None:
            return self.net(h)
        if condition is None:
            raise ValueError("condition must be given to a decoder built with condition > 0, got None.")
        widths = list(self.stages.values())
        pairs = iter(zip(*(part.split(widths, dim=1) for part in self.film(condition.to(h.dtype)).chunk(2, 1))))
        for index, layer in enumerate(self.net):
            if index in self.stages:
                scale, shift = next(pairs)
                h = h * (1 + scale[:, :, None, None]) + shift[:, :, None, None]
            h = layer(h)
        return h


# [SPLIT]'s kernel sizes: encoder convolutions (stride 2), then the decoder's convolutions before each resize.
_SPLIT_DOWN_KERNELS = (6, 6, 4)
_SPLIT_UP_KERNELS = (4, 4, 6)


class Posterior(NamedTuple):
    """Means and standard deviations of q(z_g | x) and q(z_l | x^)."""

    mu_g: torch.Tensor
    std_g: torch.Tensor
    mu_l: torch.Tensor
    std_l: torch.Tensor


def gaussian_kl(mu: torch.Tensor, std: torch.Tensor, prior_mu: torch.Tensor | None = None,
                prior_std: torch.Tensor | None = None) -> torch.Tensor:
    """KL(N(mu, std^2) || N(prior_mu, prior_std^2)) of each row, in nats; the prior defaults to N(0, I)."""
    if prior_mu is None or prior_std is None:
        return 0.5 * (mu.pow(2) + std.pow(2) - 1 - 2 * std.log()).sum(1)
    ratio = (std / prior_std).pow(2)
    return 0.5 * (ratio + ((mu - prior_mu) / prior_std).pow(2) - 1 - ratio.log()).sum(1)


#: The model each config class builds, one table for every model (:func:`register`, :func:`build`).
MODELS: dict[type, type[nn.Module]] = {}


def register(config_class: type) -> Callable[[type[nn.Module]], type[nn.Module]]:
    """Class decorator: the model that ``config_class`` builds. The config class becomes one that run configs and
    records name (:data:`auxlib.config.MODEL_CONFIGS`), so a model variant is one module: its config dataclass and
    its model, registered. Raises ValueError when the config class has a model already."""
    def add(model_class: type[nn.Module]) -> type[nn.Module]:
        if config_class in MODELS:
            raise ValueError(f"config_class must be new, got {config_class.__name__}, which builds "
                             f"{MODELS[config_class].__name__} already.")
        MODELS[config_class] = model_class
        MODEL_CONFIGS.setdefault(config_class.__name__, config_class)
        return model_class
    return add


@register(AuxVAEConfig)
class AuxVAE(nn.Module):
    """VAE whose local latent must also explain a transformed image (the paper's Eq. 6).

    z_g ~ q(z_g | x) and z_l ~ q(z_l | x^) with x^ = g(x); the main decoder models p(x | z_g, z_l) and the
    auxiliary decoder p^(x^ | z_l). Because x^ has lost the global structure, z_l cannot usefully carry it, and
    the KL pressure moves it into z_g.
    """

    def __init__(self, config: AuxVAEConfig):
        super().__init__()
        self.config = config
        channels, height, _ = config.image_shape
        spatial = height // 2 ** len(config.widths)
        self.likelihood = likelihoods.get(config.likelihood)
        self.aux_likelihood = likelihoods.get(config.likelihood, config.aux_components)
        self.kernels = _SPLIT_DOWN_KERNELS if config.arch == "split" else None
        self.enc_g = self._global_encoder(channels if config.global_input == "image" else 1, spatial)
        self.enc_l = GaussianEncoder(channels, config.widths, config.z_l, spatial, self.kernels, init=config.init)
        film = config.z_l if config.decoder == "film" else 0
        self.dec = ConvDecoder(config.z_g + config.z_l, config.widths, self.likelihood.out_channels(channels),
                               spatial, config.arch, condition=film, init=config.init)
        self.aux_dec = (ConvDecoder(config.z_l, config.widths, self.aux_likelihood.out_channels(channels), spatial,
                                    config.arch, init=config.init) if config.aux else None)
        self.step = 0

    def _global_encoder(self, channels: int, spatial: int) -> GaussianEncoder:
        """q(z_g | x): the same network as q(z_l | x^)."""
        return GaussianEncoder(channels, self.config.widths, self.config.z_g, spatial, self.kernels,
                               init=self.config.init)

    def global_view(self, x: torch.Tensor) -> torch.Tensor:
        """What the z_g encoder sees of images in [0, 1]: x itself, or its standardised luma
        (:data:`auxlib.config.GLOBAL_INPUTS`)."""
        if self.config.global_input == "image":
            return x
        return standardised_luma(x, aligned=self.config.global_input == "luma-aligned")

    def set_step(self, step: int) -> None:
        """Tell the model the training step (the trainer calls this), for the schedules of the KL weights and the
        temperature."""
        self.step = step

    @property
    def warmup(self) -> float:
        """The factor on the KL weights at this step: rises linearly from 0 to 1 over ``warmup_steps`` (1 without
        a warm-up)."""
        steps = self.config.warmup_steps
        return min(self.step / steps, 1.0) if steps else 1.0

    def transform(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """x^ = g(x): the transform the config names (:data:`auxlib.transforms.TRANSFORMS`)."""
        return transforms.get(self.config.transform)(x, self.config.patch_size, generator)

    def encode(self, x: torch.Tensor, x_hat: torch.Tensor | None = None,
               generator: torch.Generator | None = None) -> Posterior:
        """Posterior parameters; ``x_hat`` is drawn with ``transform`` when not given."""
        x, x_hat = self._inputs(x, x_hat, generator)
        return Posterior(*self.enc_g(self.global_view(x)), *self.enc_l(x if x_hat is None else x_hat))

    def decoder_output(self, z_g: torch.Tensor, z_l: torch.Tensor) -> torch.Tensor:
        """The likelihood parameters of p(x | z_g, z_l), per pixel."""
        return self.dec(torch.cat([z_g, z_l], dim=1), z_l)

    def decode(self, z_g: torch.Tensor, z_l: torch.Tensor) -> torch.Tensor:
        """Mean image in [0, 1] of p(x | z_g, z_l)."""
        return self.likelihood.mean(self.decoder_output(z_g, z_l))

    def decode_aux(self, z_l: torch.Tensor) -> torch.Tensor:
        """Mean image in [0, 1] of the auxiliary decoder p^(x^ | z_l)."""
        if self.aux_dec is None:
            raise ValueError("decode_aux needs a model built with aux=True.")
        return self.aux_likelihood.mean(self.aux_dec(z_l))

    @torch.no_grad()
    def reconstruct(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Decode the posterior means of ``x``."""
        post = self.encode(x, generator=generator)
        return self.decode(post.mu_g, post.mu_l)

    @torch.no_grad()
    def reconstruct_with_aux(self, x: torch.Tensor, generator: torch.Generator | None = None
                             ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(x^, reconstruction of x, auxiliary reconstruction of x^) from the posterior means (the paper's Fig. 1b)."""
        x_hat = self.transform(to_unit(x), generator)
        post = self.encode(x, x_hat)
        return x_hat, self.decode(post.mu_g, post.mu_l), self.decode_aux(post.mu_l)

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """n images decoded from z_g, z_l ~ N(0, I)."""
        device = next(self.parameters()).device
        z_g = torch.randn(n, self.config.z_g, generator=generator, device=device)
        z_l = torch.randn(n, self.config.z_l, generator=generator, device=device)
        return self.decode(z_g, z_l)

    def loss(self, x: torch.Tensor, y: torch.Tensor | None = None, generator: torch.Generator | None = None,
             x_hat: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """Eq. 6 averaged over the batch: ``rec`` + ``aux`` + beta * (``kl_g`` + ``kl_l``), in nats per image
        (beta_g and beta_l apart where the config sets them; times :attr:`warmup` during a KL warm-up).

        ``x_hat`` is drawn with ``transform`` unless given; ``y`` is unused (the trainer passes labels to every
        model).
        """
        x, x_hat = self._inputs(x, x_hat, generator)
        post = self.encode(x, x_hat)
        terms = self._reconstruction(x, x_hat, _draw(post.mu_g, post.std_g), _draw(post.mu_l, post.std_l))
        terms["kl_g"] = gaussian_kl(post.mu_g, post.std_g).mean()
        terms["kl_l"] = gaussian_kl(post.mu_l, post.std_l).mean()
        beta_g, beta_l = self.config.kl_weights
        terms["loss"] = terms["rec"] + terms["aux"] + self.warmup * (beta_g * terms["kl_g"] + beta_l * terms["kl_l"])
        return terms

    def _inputs(self, x: torch.Tensor, x_hat: torch.Tensor | None, generator: torch.Generator | None
                ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """x in [0, 1], and x^ (drawn unless given; None without the auxiliary task)."""
        x = to_unit(x)
        if not self.config.aux:
            return x, None
        return x, (self.transform(x, generator) if x_hat is None else to_unit(x_hat))

    def _reconstruction(self, x: torch.Tensor, x_hat: torch.Tensor | None, z_g: torch.Tensor,
                        z_l: torch.Tensor) -> dict[str, torch.Tensor]:
        """The two negative log-likelihood terms of Eq. 6, averaged over the batch."""
        return {
            "rec": self.likelihood.nll(self.decoder_output(z_g, z_l), x).mean(),
            "aux": (self.aux_likelihood.nll(self.aux_dec(z_l), cast(torch.Tensor, x_hat)).mean()
                    if self.aux_dec is not None
                    else x.new_zeros(())),
        }


def _draw(mu: torch.Tensor, std: torch.Tensor) -> torch.Tensor:
    """A reparameterised sample of N(mu, std^2)."""
    return mu + std * torch.randn_like(std)


@register(AuxGMVAEConfig)
class AuxGMVAE(AuxVAE):
    """The AuxVAE with a discrete cluster variable y on the global side (the paper's section 3, Eq. 11).

    y ~ Uniform(k), z_g ~ p(z_g | y) (a Gaussian whose mean and scale are dense layers of y), z_l ~ N(0, I). The
    posterior is q(y | x) q(z_g | x) q(z_l | x^) (``posterior="factorised"``) or q(y | x) q(z_g | x, y) q(z_l | x^)
    (``"joint"``: a dense layer of the relaxed y sample enters z_g's encoder, as in [SPLIT]). The y head reads the
    features of the z_g encoder, and y is sampled with the Gumbel-softmax (Concrete) relaxation at temperature tau.
    ``branch="split"`` builds the z_g encoder as [SPLIT] does (model.py of 51616/split-vae): convolutions of the
    top width with ELU, dropout and a 512-unit ELU layer before the heads, standard deviations starting near
    softplus(1), dropout after the y head's first layer only. The decoders and likelihoods are the AuxVAE's.
    """

    config: AuxGMVAEConfig

    def __init__(self, config: AuxGMVAEConfig):
        super().__init__(config)
        layers: list[nn.Module] = []
        width = self.enc_g.trunk[-3].out_channels * (config.image_shape[1] // 2 ** len(config.widths)) ** 2
        for i, hidden in enumerate(config.y_hidden):
            dropout = [nn.Dropout(config.y_dropout)] if config.branch == "compact" or i == 0 else []
            layers += [nn.Linear(width, hidden), ELU(), *dropout]
            width = hidden
        self.y_head = nn.Sequential(*layers, nn.Linear(width, config.k))
        self.prior_g = nn.Linear(config.k, 2 * config.z_g)
        if config.init == "glorot":
            glorot_(self.y_head)
            glorot_(self.prior_g)
        if config.branch == "split":
            nn.init.constant_(self.prior_g.bias[config.z_g:], 1.0)

    def _global_encoder(self, channels: int, spatial: int) -> GaussianEncoder:
        cfg = self.config
        condition = cfg.k if cfg.posterior == "joint" else 0
        if cfg.branch == "compact":
            return GaussianEncoder(channels, cfg.widths, cfg.z_g, spatial, self.kernels, condition=condition,
                                   init=cfg.init)
        return GaussianEncoder(channels, (cfg.widths[-1],) * len(cfg.widths), cfg.z_g, spatial, self.kernels,
                               activation=ELU, hidden=512, dropout=cfg.y_dropout, condition=condition,
                               std_bias=1.0, init=cfg.init)

    @property
    def tau(self) -> float:
        """Relaxation temperature: ``tau``, or annealed from ``tau_start`` to ``tau`` over ``anneal_steps``."""
        cfg = self.config
        if cfg.tau_start is None:
            return cfg.tau
        progress = min(self.step / cfg.anneal_steps, 1.0)
        return cfg.tau_start * (cfg.tau / cfg.tau_start) ** progress

    def prior_params(self, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and standard deviation of p(z_g | y) for one-hot or relaxed ``y`` of shape (B, k)."""
        mu, raw_std = self.prior_g(y).float().chunk(2, dim=1)
        return mu, F.softplus(raw_std) + 1e-4

    def cluster_logits(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of q(y | x) for images (uint8 or float in [0, 1])."""
        return self.y_head(self.enc_g.features(self.global_view(to_unit(x))))

    def encode(self, x: torch.Tensor, x_hat: torch.Tensor | None = None,
               generator: torch.Generator | None = None) -> Posterior:
        """Posterior parameters; under the joint posterior those of z_g are given y's probabilities q(y | x)."""
        x, x_hat = self._inputs(x, x_hat, generator)
        features = self.enc_g.features(self.global_view(x))
        y = self.y_head(features).float().softmax(1) if self.config.posterior == "joint" else None
        return Posterior(*self.enc_g.gaussian(features, y), *self.enc_l(x if x_hat is None else x_hat))

    def loss(self, x: torch.Tensor, y: torch.Tensor | None = None, generator: torch.Generator | None = None,
             x_hat: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """Eq. 11: ``rec`` + ``aux`` + beta * (``kl_g`` + ``kl_l``) + alpha * ``kl_y``, in nats per image (beta
        and alpha times :attr:`warmup` during a KL warm-up).

        ``kl_g`` is KL(q(z_g | x[, y]) || p(z_g | y)) at the relaxed sample of y; ``kl_y`` is
        KL(q(y | x) || Uniform(k)). ``y`` (the labels) is unused: the clusters are learned without them.
        """
        x, x_hat = self._inputs(x, x_hat, generator)
        features = self.enc_g.features(self.global_view(x))
        logits = self.y_head(features).float()
        y_sample = F.gumbel_softmax(logits, tau=self.tau)
        mu_g, std_g = self.enc_g.gaussian(features, y_sample if self.config.posterior == "joint" else None)
        mu_l, std_l = self.enc_l(x if x_hat is None else x_hat)
        prior_mu, prior_std = self.prior_params(y_sample)
        terms = self._reconstruction(x, x_hat, _draw(mu_g, std_g), _draw(mu_l, std_l))
        terms["kl_g"] = gaussian_kl(mu_g, std_g, prior_mu, prior_std).mean()
        terms["kl_l"] = gaussian_kl(mu_l, std_l).mean()
        log_q = logits.log_softmax(1)
        terms["kl_y"] = (log_q.exp() * (log_q + math.log(self.config.k))).sum(1).mean()
        beta_g, beta_l = self.config.kl_weights
        terms["loss"] = (terms["rec"] + terms["aux"] + self.warmup * (
            beta_g * terms["kl_g"] + beta_l * terms["kl_l"] + self.config.alpha * terms["kl_y"]))
        return terms

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """n images: y ~ Uniform(k), z_g ~ p(z_g | y), z_l ~ N(0, I)."""
        device = next(self.parameters()).device
        y = torch.randint(self.config.k, (n,), generator=generator, device=device)
        mu, std = self.prior_params(F.one_hot(y, self.config.k).float())
        z_g = mu + std * torch.randn(mu.shape, generator=generator, device=device)
        z_l = torch.randn(n, self.config.z_l, generator=generator, device=device)
        return self.decode(z_g, z_l)


@register(ClassifierConfig)
class Classifier(nn.Module):
    """Small CNN that labels images; it judges what a generative model's images show (Exp 1.2)."""

    def __init__(self, config: ClassifierConfig):
        super().__init__()
        self.config = config
        layers: list[nn.Module] = []
        channels = config.image_shape[0]
        for width in config.widths:
            for c_in in (channels, width):
                layers += [nn.Conv2d(c_in, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU()]
            layers.append(nn.MaxPool2d(2))
            channels = width
        self.features = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.head = nn.Sequential(nn.Dropout(config.dropout), nn.Linear(channels, config.n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits of images (uint8 or float in [0, 1])."""
        return self.head(self.features(to_unit(x) * 2 - 1))

    def loss(self, x: torch.Tensor, y: torch.Tensor | None = None,
             generator: torch.Generator | None = None) -> dict[str, torch.Tensor]:
        """Cross-entropy, and the batch accuracy as a second term to watch, on the batch augmented as the config
        says (``shift``, ``flip``) with draws from ``generator``."""
        if y is None:
            raise ValueError("y must hold the labels of x to train a classifier, got None.")
        if self.config.shift or self.config.flip:
            x = random_shift_flip(x, self.config.shift, self.config.flip, generator)
        logits = self(x)
        return {"loss": F.cross_entropy(logits, y), "acc": (logits.argmax(1) == y).float().mean()}


@torch.no_grad()
def outputs(model: nn.Module, images: torch.Tensor, batch_size: int = 500,
            logits: Callable[[torch.Tensor], torch.Tensor] | None = None) -> torch.Tensor:
    """The logits (N, classes) for many images (uint8 or [0, 1] float NCHW), in eval mode and batches, without
    gradients. ``logits`` is the model's function that gives them: ``model`` itself (a classifier) unless given."""
    logits = logits or model
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    with torch.no_grad():
        out = torch.cat([logits(images[i:i + batch_size].to(device)).float().cpu()
                         for i in range(0, len(images), batch_size)])
    model.train(was_training)
    return out


def predict(model: nn.Module, images: torch.Tensor, batch_size: int = 500,
            logits: Callable[[torch.Tensor], torch.Tensor] | None = None) -> torch.Tensor:
    """Argmax labels (N,) of :func:`outputs`."""
    return outputs(model, images, batch_size, logits).argmax(1)


def build(config: Any) -> nn.Module:
    """The model a config describes (pythae-style: one config class per model, :data:`MODELS`). Raises ValueError
    for a config of a class no model is registered for."""
    if type(config) not in MODELS:
        raise ValueError(f"config must be one of {', '.join(c.__name__ for c in MODELS)}, got "
                         f"{type(config).__name__}.")
    return MODELS[type(config)](config)


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
