"""Configuration: one validated dataclass per model, one for training, and the profiles.

A chapter turns its notebook parameters into a :class:`RunConfig` with :func:`experiment`, which starts from the
chosen profile's defaults and applies every parameter that is not ``None``. Invalid values stop there with one
``ValueError`` sentence that names the parameter and what is allowed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import numbers
import types
import typing
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import yaml

#: Data sets auxlib can load, with their image shape (channels, height, width).
DATASETS: dict[str, tuple[int, int, int]] = {
    "cifar10": (3, 32, 32),
    "svhn": (3, 32, 32),
    "synth-svhn": (3, 32, 32),
}
#: Data sets with an extra training split besides train and test.
EXTRA_SPLIT = ("svhn", "synth-svhn")
LIKELIHOODS = ("bernoulli", "gaussian", "logistic")
#: Network families: ``compact`` (4x4 stride-2 convolutions down, transposed convolutions up; sized for a CPU) and
#: ``split``, the [SPLIT] reference network (kernels 6/6/4 down, resize-then-convolve up, TF "same" padding).
ARCHS = ("compact", "split")
TRANSFORMS = ("shuffle", "grayscale")
#: q(y, z_g | x) of the AuxGMVAE: ``factorised`` q(y | x) q(z_g | x), or ``joint`` q(y | x) q(z_g | x, y), where
#: the relaxed sample of y shifts the mean and scale of z_g (the paper's joint posterior, as [SPLIT] builds it).
POSTERIORS = ("factorised", "joint")
#: The AuxGMVAE's layers between the z_g encoder's convolutions and the heads of z_g and y: ``compact`` (the
#: heads read the features directly) or ``split``, [SPLIT]'s branch (more convolutions, dropout, a dense layer).
BRANCHES = ("compact", "split")
PROFILE_NAMES = ("quick", "standard", "paper")
DEVICES = ("auto", "cpu", "cuda", "mps")
PRECISIONS = ("auto", "fp32", "bf16")


def _require(ok: bool, name: str, allowed: str, value: Any) -> None:
    if not ok:
        raise ValueError(f"{name} must be {allowed}, got {value!r}.")


def _one_of(name: str, value: Any, allowed: Any, optional: bool = False) -> None:
    """Raise a ValueError naming ``name`` unless ``value`` is one of the strings ``allowed`` (or None, when
    ``optional``)."""
    if optional and value is None:
        return
    _require(isinstance(value, str) and value in allowed, name,
             f"{'None or ' if optional else ''}one of {', '.join(allowed)}", value)


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def _canonical(value: Any, hint: Any) -> Any:
    """``value`` in the one plain-Python form of the field type ``hint``: numbers of a float field as float, whole
    numbers of an int field as int, NumPy scalars as Python ones, lists and arrays of a tuple field as tuples.
    Values of the wrong kind are returned as they are, for the field's check to name."""
    if value is None:
        return None
    kind = hint
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(options) != 1:  # a union of config classes: each canonicalises itself
            return value
        kind = options[0]
    if kind is float and _is_number(value):
        return float(value)
    if kind is int and _is_number(value) and float(value).is_integer():
        return int(value)
    if kind is bool and isinstance(value, np.bool_):
        return bool(value)
    if kind is str and isinstance(value, np.str_):
        return str(value)
    if typing.get_origin(kind) is tuple and isinstance(value, (list, tuple, np.ndarray)):
        items = typing.get_args(kind)
        parts = [items[0]] * len(value) if items[-1] is Ellipsis else list(items)
        if len(parts) != len(value):
            return tuple(value)
        return tuple(_canonical(v, h) for v, h in zip(value, parts))
    return value


def _canonicalise(config: Any) -> None:
    """Store every field of the frozen dataclass ``config`` in its canonical form (:func:`_canonical`), so that
    equal values give equal run keys and every checkpoint holds plain Python only."""
    hints = typing.get_type_hints(type(config))
    for f in dataclasses.fields(config):
        object.__setattr__(config, f.name, _canonical(getattr(config, f.name), hints[f.name]))


def _positive_int(name: str, value: Any) -> None:
    _require(_is_int(value) and value > 0, name, "a positive integer", value)


@dataclass(frozen=True)
class AuxVAEConfig:
    """The VAE with an auxiliary generative task (the paper's section 2): one config per model, pythae-style.

    Attributes:
        image_shape: (channels, height, width) of the images; must match the data set's.
        z_g: size of the global latent, read by the main decoder only. Paper: 128.
        z_l: size of the local latent, read by both decoders. Paper: 128.
        widths: channels of each stride-2 stage of the encoders (and, reversed, the decoders); at most as many
            stages as halvings of the image. Paper: (32, 64, 128) in [SPLIT]'s network.
        arch: the network family, ``compact`` (sized for a CPU) or ``split`` ([SPLIT]'s network): :data:`ARCHS`.
        likelihood: the pixel likelihood of both decoders, :data:`LIKELIHOODS`. Paper: ``logistic``, a discretised
            logistic per subpixel over 256 levels.
        transform: the g of x^ = g(x), ``shuffle`` (the patch shuffle) or ``grayscale``. Paper: ``shuffle``.
        patch_size: side n, in pixels, of the patches the shuffle moves; divides the image. Paper: 1 for
            Experiment 1 (a pixel shuffle), 4 for Experiment 2.
        aux: False gives the same network without the auxiliary task (no auxiliary decoder, both encoders read x:
            a plain VAE whose latent comes in two halves), the baseline of Experiment 1.2.
        beta: weight of the KL terms of z_g and z_l, >= 0. Paper: 1 (Eq. 6).
        aux_components: components of a mixture of discretised logistics for the auxiliary decoder
            p^(x^ | z_l) alone (one mixture weight per pixel: PixelCNN++'s mixture without its channel coupling);
            1, the paper's, is the plain ``likelihood``; more only with ``logistic``.
        warmup_steps: training steps over which the KL weights rise linearly from 0 to their value; 0, the
            paper's, for none.
    """

    image_shape: tuple[int, int, int] = (3, 32, 32)
    z_g: int = 32
    z_l: int = 32
    widths: tuple[int, ...] = (32, 64, 128)
    arch: str = "compact"
    likelihood: str = "logistic"
    transform: str = "shuffle"
    patch_size: int = 4
    aux: bool = True
    beta: float = 1.0
    aux_components: int = 1
    warmup_steps: int = 0

    def __post_init__(self) -> None:
        _canonicalise(self)
        _positive_int("z_g", self.z_g)
        _positive_int("z_l", self.z_l)
        _check_widths(self.widths, self.image_shape)
        _one_of("arch", self.arch, ARCHS)
        _require(self.arch != "split" or len(self.widths) == 3, "widths", "3 layers for arch 'split'", self.widths)
        _one_of("likelihood", self.likelihood, LIKELIHOODS)
        _one_of("transform", self.transform, TRANSFORMS)
        _require(isinstance(self.aux, bool), "aux", "True or False", self.aux)
        _require(_is_number(self.beta) and self.beta >= 0, "beta", "a number >= 0", self.beta)
        check_patch_size("patch_size", self.patch_size, self.image_shape)
        _positive_int("aux_components", self.aux_components)
        _require(self.aux_components == 1 or self.likelihood == "logistic", "aux_components",
                 f"1 for the {self.likelihood} likelihood (mixtures are of discretised logistics)", self.aux_components)
        _require(_is_int(self.warmup_steps) and self.warmup_steps >= 0, "warmup_steps", "an integer >= 0",
                 self.warmup_steps)


@dataclass(frozen=True)
class AuxGMVAEConfig(AuxVAEConfig):
    """The multi-modal AuxVAE of the paper's section 3.2: a cluster variable y with ``k`` values above z_g.

    Attributes (beyond :class:`AuxVAEConfig`'s):
        k: the number of clusters, >= 2. Paper: 30 (and 10 for one-to-one accuracy).
        tau: the Gumbel-softmax temperature, > 0. Paper: 0.4, constant.
        tau_start: None for a constant ``tau``; else the temperature is annealed geometrically from ``tau_start``
            to ``tau`` over ``anneal_steps`` training steps.
        anneal_steps: the length of that annealing, in steps.
        alpha: weight of KL(q(y | x) || p(y)), >= 0; it warms up with ``beta``. Paper: 1 (Eq. 11); [SPLIT]'s
            clustering run: 40.
        y_hidden: widths of the dense layers of the y head. [SPLIT]: (1024, 128).
        y_dropout: their dropout rate, in [0, 1).
        posterior: the form of q(y, z_g | x), ``factorised`` q(y | x) q(z_g | x) or ``joint`` q(y | x)
            q(z_g | x, y), the paper's and [SPLIT]'s: :data:`POSTERIORS`.
        branch: the layers between the z_g encoder's convolutions and the heads of z_g and y, ``compact`` or
            ``split`` ([SPLIT]'s: 128-channel ELU convolutions, dropout, a 512-unit layer): :data:`BRANCHES`.
    """

    k: int = 30
    tau: float = 0.4
    tau_start: float | None = None
    anneal_steps: int = 10_000
    alpha: float = 1.0
    y_hidden: tuple[int, ...] = (256, 128)
    y_dropout: float = 0.2
    posterior: str = "factorised"
    branch: str = "compact"

    def __post_init__(self) -> None:
        super().__post_init__()
        _require(_is_int(self.k) and self.k >= 2, "k", "an integer >= 2", self.k)
        _require(_is_number(self.tau) and self.tau > 0, "tau", "a positive number", self.tau)
        _require(self.tau_start is None or (_is_number(self.tau_start) and self.tau_start > 0), "tau_start",
                 "None (a constant temperature) or a positive number", self.tau_start)
        _positive_int("anneal_steps", self.anneal_steps)
        _require(_is_number(self.alpha) and self.alpha >= 0, "alpha", "a number >= 0", self.alpha)
        _require(all(_is_int(w) and w > 0 for w in self.y_hidden), "y_hidden", "a list of positive integers",
                 self.y_hidden)
        _require(_is_number(self.y_dropout) and 0 <= self.y_dropout < 1, "y_dropout", "a number in [0, 1)",
                 self.y_dropout)
        _one_of("posterior", self.posterior, POSTERIORS)
        _one_of("branch", self.branch, BRANCHES)


def check_dataset(name: str, value: Any, optional: bool = False) -> None:
    """Raise a ValueError naming ``name`` unless ``value`` is a data set of :data:`DATASETS` (or None, when
    ``optional``): for chapter parameters that name a second data set."""
    _one_of(name, value, DATASETS, optional)


def check_patch_size(name: str, value: Any, image_shape: tuple[int, int, int]) -> None:
    """Raise a ValueError naming ``name`` unless ``value`` is a patch size that divides the image."""
    _, height, width = image_shape
    sizes = [n for n in range(1, min(height, width) + 1) if height % n == 0 and width % n == 0]
    _require(_is_int(value) and value in sizes, name,
             f"a size that divides the {height}x{width} image ({', '.join(map(str, sizes))})", value)


@dataclass(frozen=True)
class ClassifierConfig:
    """A small CNN classifier (conv-BN-ReLU pairs, max-pooling between stages), used to judge generated images.

    Fields: ``n_classes`` the labels; ``widths`` the channels of each stage (two convolutions, then a halving);
    ``dropout`` before the last layer; ``shift`` the largest random move of a training image, in pixels (its
    border reflected), and ``flip`` a random left-right mirror, the usual augmentation of CIFAR-10 (not of digits,
    which a mirror changes): 0 and False, no augmentation.
    """

    image_shape: tuple[int, int, int] = (3, 32, 32)
    n_classes: int = 10
    widths: tuple[int, ...] = (32, 64, 128)
    dropout: float = 0.3
    shift: int = 0
    flip: bool = False

    def __post_init__(self) -> None:
        _canonicalise(self)
        _require(_is_int(self.n_classes) and self.n_classes >= 2, "n_classes", "an integer >= 2", self.n_classes)
        _check_widths(self.widths, self.image_shape)
        _require(_is_number(self.dropout) and 0 <= self.dropout < 1, "dropout", "a number in [0, 1)", self.dropout)
        _require(_is_int(self.shift) and 0 <= self.shift < min(self.image_shape[1:]), "shift",
                 f"an integer in [0, {min(self.image_shape[1:]) - 1}]", self.shift)
        _require(isinstance(self.flip, bool), "flip", "True or False", self.flip)


def _check_widths(widths: tuple[int, ...], image_shape: tuple[int, int, int]) -> None:
    """Channel widths, one per stride-2 stage: positive, and no more stages than halvings of the image."""
    _require(len(widths) > 0 and all(_is_int(w) and w > 0 for w in widths),
             "widths", "a non-empty list of positive integers", widths)
    _, height, width = image_shape
    depth = len(widths)
    _require(height % 2**depth == 0 and width % 2**depth == 0, "widths",
             f"at most {_max_depth(height, width)} layers for a {height}x{width} image", widths)


def _max_depth(height: int, width: int) -> int:
    depth = 0
    while height % 2 ** (depth + 1) == 0 and width % 2 ** (depth + 1) == 0:
        depth += 1
    return depth


@dataclass(frozen=True)
class TrainConfig:
    """How to train: steps, batch, optimiser, seed, where checkpoints fall, and the scores kept along the way.

    Attributes:
        steps: optimisation steps. Paper: 1,000,000 (Experiment 1), 3,000,000 (the clustering run).
        batch_size: images per step, the global batch (under ``torchrun`` each of N processes takes 1/N of it).
            Paper: 64.
        lr: Adam's learning rate, > 0. Paper: 1e-4.
        seed: the initialisation, batch order and noise, an integer >= 0.
        log_every: steps per row of the loss history (the mean of those steps).
        checkpoint_every: steps between checkpoints.
        device: ``auto`` (cuda, then mps, then cpu), or one of :data:`DEVICES`.
        precision: ``auto`` (bf16 autocast where the hardware has bf16 units, fp32 elsewhere), ``fp32`` or ``bf16``.
        compile: run the loss through ``torch.compile`` (its first steps pay the compilation).
        lr_decay: factor in (0, 1] the learning rate is multiplied by every ``lr_decay_every`` steps. [SPLIT]:
            0.4 every 1,000,000.
        lr_decay_every: steps between those decays.
        score_every: steps between evaluations of the model on ``score_images`` fixed images of its training set
            (:mod:`auxlib.monitor`; 0: none), which become the run's learning curves.
        score_images: how many images those evaluations use.
        max_minutes: the wall clock, in minutes, one call of the trainer may take before it checkpoints and stops
            (None: no limit); the same command then continues the run where it stopped, on any machine.

    ``device``, ``precision``, ``compile``, ``checkpoint_every`` and the score settings change how a run is
    computed or watched, not what it learns, and ``max_minutes`` only where it pauses, so they are left out of the
    run's key (a run trained on a GPU is found again by a notebook on a CPU).
    """

    steps: int = 2000
    batch_size: int = 64
    lr: float = 5e-4
    seed: int = 0
    log_every: int = 50
    checkpoint_every: int = 500
    device: str = "auto"
    precision: str = "auto"
    compile: bool = False
    lr_decay: float = 1.0
    lr_decay_every: int = 1_000_000
    score_every: int = 0
    score_images: int = 10_000
    max_minutes: float | None = None

    def __post_init__(self) -> None:
        _canonicalise(self)
        _positive_int("steps", self.steps)
        _positive_int("batch_size", self.batch_size)
        _require(_is_number(self.lr) and self.lr > 0, "lr", "a positive number", self.lr)
        _require(_is_int(self.seed) and self.seed >= 0, "seed", "an integer >= 0", self.seed)
        _positive_int("log_every", self.log_every)
        _positive_int("checkpoint_every", self.checkpoint_every)
        _one_of("device", self.device, DEVICES)
        _one_of("precision", self.precision, PRECISIONS)
        _require(isinstance(self.compile, bool), "compile", "True or False", self.compile)
        _require(_is_number(self.lr_decay) and 0 < self.lr_decay <= 1, "lr_decay", "a number in (0, 1]", self.lr_decay)
        _positive_int("lr_decay_every", self.lr_decay_every)
        _require(_is_int(self.score_every) and self.score_every >= 0, "score_every", "an integer >= 0",
                 self.score_every)
        _positive_int("score_images", self.score_images)
        _require(self.max_minutes is None or (_is_number(self.max_minutes) and self.max_minutes > 0), "max_minutes",
                 "None (no limit) or a positive number of minutes", self.max_minutes)


_NOT_IN_KEY = {"device", "precision", "compile", "checkpoint_every", "score_every", "score_images", "max_minutes"}
# Fields added after runs were first cached: left out of the key at their default so those runs keep their name.
_KEY_ONLY_IF_SET = {"arch": "compact", "extra": False, "aux_components": 1, "warmup_steps": 0,
                    "posterior": "factorised", "branch": "compact", "lr_decay": 1.0, "lr_decay_every": 1_000_000,
                    "where": None, "shift": 0, "flip": False}


@dataclass(frozen=True)
class RunConfig:
    """One training run: a model, trained on a data set's train split, with its extra split appended when
    ``extra`` (the paper trains on SVHN train + extra); of those images only the ones whose true factor
    ``where[0]`` equals ``where[1]`` when ``where`` is set (data sets that record factors: synth-svhn), and of
    those ``n_train`` drawn at random when it is set.

    ``judge``, the run of a classifier of the same data set, reads an AuxVAE's decodes for its scores during
    training (:mod:`auxlib.monitor`); like the score settings it watches a run without changing it, so it is left
    out of the key.
    """

    dataset: str
    model: AuxVAEConfig | AuxGMVAEConfig | ClassifierConfig
    train: TrainConfig = field(default_factory=TrainConfig)
    n_train: int | None = None
    extra: bool = False
    where: tuple[str, int] | None = None
    judge: RunConfig | None = None

    def __post_init__(self) -> None:
        _canonicalise(self)
        if self.where is not None:
            _require(isinstance(self.where, (list, tuple)) and len(self.where) == 2 and isinstance(self.where[0], str)
                     and _is_int(self.where[1]), "where", "None or a (factor name, integer value) pair", self.where)
        _one_of("dataset", self.dataset, DATASETS)
        _require(isinstance(self.extra, bool), "extra", "True or False", self.extra)
        _require(not self.extra or self.dataset in EXTRA_SPLIT, "extra",
                 f"False for {self.dataset}, which has no extra split", self.extra)
        _require(self.n_train is None or (_is_int(self.n_train) and self.n_train > 0), "n_train",
                 "None (the whole split) or a positive integer", self.n_train)
        _require(tuple(self.model.image_shape) == DATASETS[self.dataset], "model.image_shape",
                 f"{DATASETS[self.dataset]} for {self.dataset}", self.model.image_shape)
        _require(self.judge is None or (isinstance(self.judge, RunConfig) and isinstance(
            self.judge.model, ClassifierConfig) and self.judge.dataset == self.dataset), "judge",
                 f"None or the RunConfig of a classifier of {self.dataset}", self.judge)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict, with the model's class name so the run can be rebuilt."""
        out = dataclasses.asdict(self)
        out["model_type"] = type(self.model).__name__
        out["judge"] = None if self.judge is None else self.judge.to_dict()
        return out

    def key(self) -> str:
        """Hash of everything that changes what is learned: the name of this run in the run cache."""
        described = self.to_dict()
        del described["judge"]
        described["train"] = {k: v for k, v in described["train"].items() if k not in _NOT_IN_KEY}
        for part in (described, described["model"], described["train"]):
            for name in [k for k, v in part.items() if _KEY_ONLY_IF_SET.get(k, ...) == v]:
                del part[name]
        text = json.dumps(described, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "RunConfig":
        """Inverse of :meth:`to_dict`."""
        model_cls = MODEL_CONFIGS[data["model_type"]]
        return cls(dataset=data["dataset"], model=model_cls(**data["model"]), train=TrainConfig(**data["train"]),
                   n_train=data["n_train"], extra=data.get("extra", False), where=data.get("where"),
                   judge=None if data.get("judge") is None else cls.from_dict(data["judge"]))


MODEL_CONFIGS: dict[str, type] = {"AuxVAEConfig": AuxVAEConfig, "AuxGMVAEConfig": AuxGMVAEConfig,
                                   "ClassifierConfig": ClassifierConfig}

# Profiles: what each chapter runs at each budget. Keys are fields of the model config, of TrainConfig, or
# ``n_train``. ``quick`` exists for tests (seconds); ``standard`` is what the committed book shows, sized for a
# 2-core CPU; ``paper`` is the paper's network and budget ([SPLIT]: its architecture, batch 64, Adam 1e-4,
# 1,000,000 steps, 128 + 128 latents, train + extra where the data set has an extra split), meant for GPUs.
_PAPER = dict(arch="split", extra=True, z_g=128, z_l=128, steps=1_000_000, batch_size=64, lr=1e-4,
              checkpoint_every=10_000, log_every=500)
# The setting of Experiment 2 that scored best in the ablation (exp2_gap, on train-split scores): beta = alpha = 8.
_EXP2_CHOSEN = dict(beta=8.0, alpha=8.0)
PROFILES: dict[str, dict[str, dict[str, Any]]] = {
    "method": {
        "quick": dict(steps=20, batch_size=32, n_train=1024, log_every=5, checkpoint_every=10),
        "standard": dict(steps=2000, batch_size=64, log_every=25),
        "paper": _PAPER,
    },
    # The small CNN that judges images: the data chapter trains it "briefly", to measure how hard the digits are
    # to read, and Experiment 1 reuses the same runs (same config, so the run cache hits) to classify decodes.
    "classifier": {
        "quick": dict(steps=30, batch_size=64, n_train=2048, log_every=10, checkpoint_every=30),
        "standard": dict(steps=1500, batch_size=128, lr=2e-3, log_every=50),
        "paper": dict(steps=20_000, batch_size=128, lr=1e-3, log_every=500, checkpoint_every=5000),
    },
    # Experiment 1's AuxVAEs, shared by exp1_1 and exp1_2 so that the second chapter reuses the first one's
    # models. Patch size 1 (pixel shuffle) is the paper's setting for this experiment ([SPLIT]).
    # Their decodes are scored during training by the chapter's classifier (JUDGED).
    "exp1": {
        "quick": dict(patch_size=1, steps=20, batch_size=32, n_train=1024, log_every=5, checkpoint_every=10,
                      score_every=10, score_images=128),
        "standard": dict(patch_size=1, steps=3500, batch_size=64, lr=1e-3, log_every=50, checkpoint_every=500,
                         score_every=250, score_images=2000),
        "paper": dict(_PAPER, patch_size=1, score_every=10_000, score_images=10_000),
    },
    # Experiment 2's AuxGMVAEs, shared by exp2_1 and exp2_2. [SPLIT]: patch size 4, k = 30, tau = 0.4. The quick
    # and standard profiles use the setting the ablation chose on train-split scores (exp2_gap, auxlib.ablation).
    "exp2": {
        "quick": dict(_EXP2_CHOSEN, patch_size=4, k=30, steps=20, batch_size=32, n_train=1024, log_every=5,
                      checkpoint_every=10, score_every=10, score_images=256),
        "standard": dict(_EXP2_CHOSEN, patch_size=4, k=30, steps=5000, batch_size=64, lr=1e-3, log_every=50,
                         checkpoint_every=500, score_every=250, score_images=5000),
        # [SPLIT]'s clustering run: its branch and joint posterior, beta = alpha = 40, lr x0.4 every 1M steps
        "paper": dict(_PAPER, patch_size=4, k=30, alpha=40.0, beta=40.0, y_hidden=(1024, 128), steps=3_000_000,
                      posterior="joint", branch="split", lr_decay=0.4, lr_decay_every=1_000_000,
                      score_every=10_000, score_images=10_000),
    },
    # The placement chapter's sweeps (patch size x beta, the grey-scale transform, latent splits): many short
    # runs of the Experiment 1 network; its three main models are Experiment 1's, found in the run cache.
    "placement": {
        "quick": dict(steps=20, batch_size=32, n_train=1024, log_every=5, checkpoint_every=10),
        "standard": dict(steps=2000, batch_size=64, lr=1e-3, log_every=50, checkpoint_every=500),
        "paper": dict(_PAPER, steps=200_000),
    },
}

# Where a data set needs other values than a chapter's profile gives, by chapter, profile and data set. CIFAR-10's
# classes are harder to read than digits: its classifier trains ~26 epochs with the usual augmentation (random
# moves of up to 4 pixels, left-right mirrors) and a learning rate that falls twice.
PROFILE_BY_DATASET: dict[str, dict[str, dict[str, dict[str, Any]]]] = {
    "classifier": {
        "standard": {"cifar10": dict(steps=10_000, lr_decay=0.3, lr_decay_every=4000, shift=4, flip=True,
                                     checkpoint_every=1000)},
        "paper": {"cifar10": dict(shift=4, flip=True)},
    },
}

# Chapter settings that are not part of a training run, per profile; overridden like the run parameters.
# extra_seeds: more main models, for the spread between seeds; sweep_steps: the length of every run of the sweep
# of what limits the decodes (auxlib.decode_sweep)
_EXP1_2 = dict(betas=[0.5, 1.0, 2.0, 4.0, 8.0], baseline_beta=4.0)
SETTINGS: dict[str, dict[str, dict[str, Any]]] = {
    "method": {profile: {"patch_sizes": [1, 2, 4, 8, 16, 32]} for profile in PROFILE_NAMES},
    "data": {"quick": {"kmeans_images": 1000}, "standard": {"kmeans_images": 10_000},
             "paper": {"kmeans_images": 26_032}},
    "exp1_1": {"quick": {"codes": 2, "swap_images": 4}, "standard": {"codes": 3, "swap_images": 8},
               "paper": {"codes": 3, "swap_images": 8}},
    "exp1_2": {"quick": dict(_EXP1_2, eval_images=200, repeats=2, extra_seeds=[1], sweep_steps=40, workers=2),
               "standard": dict(_EXP1_2, eval_images=3000, repeats=3, extra_seeds=[1, 2], sweep_steps=10_000,
                                workers=2),
               "paper": dict(_EXP1_2, eval_images=26_032, repeats=5, extra_seeds=[1, 2], sweep_steps=200_000,
                             workers=1)},
    "exp2_1": {"quick": {"seeds": [0, 1], "k10_seeds": [0], "kmeans_train": 1000},
               "standard": {"seeds": [0, 1, 2, 3], "k10_seeds": [0, 1], "kmeans_train": 10_000},
               "paper": {"seeds": [0, 1, 2, 3], "k10_seeds": [0, 1, 2, 3], "kmeans_train": 73_257}},
    "exp2_2": {"quick": {"grid": 4}, "standard": {"grid": 8}, "paper": {"grid": 10}},
    # curve_steps: the longer budget of the learning curves of the chosen and the authors' settings
    "exp2_gap": {"quick": {"workers": 2, "curve_steps": 40}, "standard": {"workers": 2, "curve_steps": 50_000},
                 "paper": {"workers": 1, "curve_steps": 3_000_000}},
    "placement": {
        "quick": dict(patch_sizes=[1, 4], betas=[1.0, 4.0], extra_seeds=[1], z_g_sizes=[16, 48],
                      probe_images=300, workers=2),
        "standard": dict(patch_sizes=[1, 2, 4, 8, 16], betas=[0.5, 1.0, 4.0, 16.0], extra_seeds=[1, 2],
                         z_g_sizes=[16, 48], probe_images=5000, workers=2),
        "paper": dict(patch_sizes=[1, 2, 4, 8, 16], betas=[0.5, 1.0, 4.0, 16.0], extra_seeds=[1, 2],
                      z_g_sizes=[64, 192], probe_images=20_000, workers=1),
    },
}

#: The chapters whose AuxVAEs are scored during training by the classifier of their profile and data set (its
#: ``judge``, :mod:`auxlib.monitor`): the classifier of the data chapter, seed 0.
JUDGED = ("exp1",)
#: The model config of the chapters whose runs are not AuxVAEs.
CHAPTER_MODELS: dict[str, type] = {"classifier": ClassifierConfig, "exp2": AuxGMVAEConfig}

_TRAIN_FIELDS = {f.name for f in dataclasses.fields(TrainConfig)}
_MAY_BE_EMPTY = {"k10_seeds", "extra_seeds", "z_g_sizes"}  # list settings where [] means "skip this part"


def experiment(chapter: str, profile: str = "standard", dataset: str = "cifar10", model: type | None = None,
               **params: Any) -> RunConfig:
    """Build the validated run config of a chapter from a profile and the notebook's parameters.

    Parameters that are ``None`` keep the profile's value; any other value overrides it. ``model`` is the config
    class, by default the chapter's own (:data:`CHAPTER_MODELS`, else :class:`AuxVAEConfig`).
    """
    _one_of("chapter", chapter, PROFILES)
    model = model or CHAPTER_MODELS.get(chapter, AuxVAEConfig)
    _one_of("profile", profile, PROFILE_NAMES)
    _one_of("dataset", dataset, DATASETS)
    values = dict(PROFILES[chapter][profile], **PROFILE_BY_DATASET.get(chapter, {}).get(profile, {}).get(dataset, {}))
    if dataset not in EXTRA_SPLIT:
        values.pop("extra", None)  # a profile's "train + extra" means the train split where there is no extra
    values.update({k: v for k, v in params.items() if v is not None})
    model_fields = {f.name for f in dataclasses.fields(model)}
    known = model_fields | _TRAIN_FIELDS | {"n_train", "extra", "where"}
    unknown = set(values) - known
    _require(not unknown, "parameters", f"among {', '.join(sorted(known))}", sorted(unknown))
    model_cfg = model(image_shape=DATASETS[dataset], **{k: v for k, v in values.items() if k in model_fields})
    train_cfg = TrainConfig(**{k: v for k, v in values.items() if k in _TRAIN_FIELDS})
    judged = chapter in JUDGED and train_cfg.score_every > 0 and type(model_cfg) is AuxVAEConfig
    return RunConfig(dataset=dataset, model=model_cfg, train=train_cfg, n_train=values.get("n_train"),
                     extra=values.get("extra", False), where=values.get("where"),
                     judge=experiment("classifier", profile, dataset=dataset) if judged else None)


def settings(chapter: str, profile: str = "standard", **params: Any) -> dict[str, Any]:
    """A chapter's non-training settings for a profile, with the notebook's parameters that are not None
    applied. Integer settings must stay positive integers, number settings numbers >= 0, and list settings
    lists of numbers >= 0 (integers where the profile's are), non-empty unless [] means "skip"."""
    _one_of("chapter", chapter, SETTINGS)
    _one_of("profile", profile, PROFILE_NAMES)
    values = dict(SETTINGS[chapter][profile])
    unknown = set(params) - set(values)
    _require(not unknown, "parameters", f"among {', '.join(sorted(values)) or 'none'}", sorted(unknown))
    for name, value in params.items():
        if value is None:
            continue
        default = values[name]
        if isinstance(default, list):
            value = as_list(value)
        if _is_int(default):
            _positive_int(name, value)
        elif _is_number(default):
            _require(_is_number(value) and value >= 0, name, "a number >= 0", value)
        elif isinstance(default, list):
            integers = all(_is_int(v) for v in default)
            kind = "integers" if integers else "numbers"
            _require(isinstance(value, (list, tuple)) and (len(value) > 0 or name in _MAY_BE_EMPTY)
                     and all((_is_int(v) if integers else _is_number(v)) and v >= 0 for v in value), name,
                     f"a {'' if name in _MAY_BE_EMPTY else 'non-empty '}list of {kind} >= 0", value)
            value = list(value)
        values[name] = value
    return values


def as_list(value: Any) -> Any:
    """A list parameter as a user means it: papermill's ``-p betas "[1, 4]"`` delivers a string, read here as YAML,
    and ``-p betas 4`` a single number, read as a list of one; anything else is returned as it is, to be checked."""
    if isinstance(value, str):
        try:
            value = yaml.safe_load(value)
        except yaml.YAMLError:
            return value
    return [value] if _is_number(value) else value
