"""Configuration: one validated, frozen dataclass per model, one for training, and :class:`RunConfig`, which
joins them with a data set and names the run by a hash of what changes what is learned (:meth:`RunConfig.key`).

Every field is stored in one canonical plain-Python form, so equal values give equal keys. Invalid values stop
at construction with one ``ValueError`` sentence that names the field and what is allowed (:mod:`auxlib.checks`).
The values each chapter uses at each budget live in :mod:`auxlib.profiles`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import types
import typing
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..checks import as_number, is_int, is_number, one_of, positive_int, require

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
#: q(y, z_g | x) of the AuxGMVAE: ``factorised`` q(y | x) q(z_g | x), or ``joint`` q(y | x) q(z_g | x, y), where
#: the relaxed sample of y shifts the mean and scale of z_g (the paper's joint posterior, as [SPLIT] builds it).
POSTERIORS = ("factorised", "joint")
#: The AuxGMVAE's layers between the z_g encoder's convolutions and the heads of z_g and y: ``compact`` (the
#: heads read the features directly) or ``split``, [SPLIT]'s branch (more convolutions, dropout, a dense layer).
BRANCHES = ("compact", "split")
#: The initial weights: ``torch`` (PyTorch's defaults) or ``glorot`` (Glorot-uniform kernels and zero biases, as
#: Keras layers start, and so [SPLIT]'s networks).
INITS = ("torch", "glorot")
#: How the main decoder p(x | z_g, z_l) reads z_l: ``concat`` (the paper's: z_g and z_l joined at its input) or
#: ``film`` (beyond the paper: also a per-channel scale and shift of the feature maps at each stage computed from
#: z_l, FiLM of Perez et al. 2018, so that colour is cheap to take from z_l).
DECODERS = ("concat", "film")
#: What q(z_g | .) sees: ``image`` (the paper's: x), or, beyond the paper, ``luma`` (each image's luma standardised
#: to zero mean and unit deviation, which removes colour, brightness and contrast) or ``luma-aligned`` (the same,
#: its sign turned so that the minority of pixels, the digit, is bright: polarity removed too). The mirror of
#: g(x): the global encoder loses what the auxiliary decoder keeps.
GLOBAL_INPUTS = ("image", "luma", "luma-aligned")
DEVICES = ("auto", "cpu", "cuda", "mps")
PRECISIONS = ("auto", "fp32", "bf16")


def _canonical(value: Any, hint: Any) -> Any:
    """``value`` in the one plain-Python form of the field type ``hint``: numbers of a float field as float, whole
    numbers of an int field as int (numbers written as text too, :func:`auxlib.checks.as_number`), NumPy scalars
    as Python ones, lists and arrays of a tuple field as tuples.
    Values of the wrong kind are returned as they are, for the field's check to name."""
    if value is None:
        return None
    kind = hint
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(options) != 1:  # a union of config classes: each canonicalises itself
            return value
        kind = options[0]
    if kind in (float, int):
        value = as_number(value)
    if kind is float and is_number(value):
        return float(value)
    if kind is int and is_number(value) and float(value).is_integer():
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
        transform: the g of x^ = g(x), a name of :data:`auxlib.transforms.TRANSFORMS`: ``shuffle`` (the patch
            shuffle), ``grayscale`` or, beyond the paper, ``rotate`` (each patch turned). Paper: ``shuffle``.
        patch_size: side n, in pixels, of the patches the shuffle moves; divides the image. Paper: 1 for
            Experiment 1 (a pixel shuffle), 4 for Experiment 2.
        aux: False gives the same network without the auxiliary task (no auxiliary decoder, both encoders read x:
            a plain VAE whose latent comes in two halves), the baseline of Experiment 1.2.
        beta: weight of the KL terms of z_g and z_l, >= 0. Paper: 1 (Eq. 6).
        beta_g, beta_l: the weight of the KL term of z_g, or of z_l, apart from the other; None (the paper's) for
            ``beta``.
        aux_components: components of a mixture of discretised logistics for the auxiliary decoder
            p^(x^ | z_l) alone (one mixture weight per pixel: PixelCNN++'s mixture without its channel coupling);
            1, the paper's, is the plain ``likelihood``; more only with ``logistic``.
        warmup_steps: training steps over which the KL weights rise linearly from 0 to their value; 0, the
            paper's, for none.
        init: the initial weights, :data:`INITS`. [SPLIT]: ``glorot`` (Keras's defaults).
        decoder: how the main decoder reads z_l, :data:`DECODERS`. Paper: ``concat``.
        global_input: what the z_g encoder sees, :data:`GLOBAL_INPUTS`. Paper: ``image``.
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
    beta_g: float | None = None
    beta_l: float | None = None
    init: str = "torch"
    decoder: str = "concat"
    global_input: str = "image"

    def __post_init__(self) -> None:
        _canonicalise(self)
        positive_int("z_g", self.z_g)
        positive_int("z_l", self.z_l)
        _check_widths(self.widths, self.image_shape)
        one_of("arch", self.arch, ARCHS)
        require(self.arch != "split" or len(self.widths) == 3, "widths", "3 layers for arch 'split'", self.widths)
        one_of("likelihood", self.likelihood, LIKELIHOODS)
        from .transforms import TRANSFORMS  # here, so that configs load without torch until one is built
        one_of("transform", self.transform, tuple(TRANSFORMS))
        require(isinstance(self.aux, bool), "aux", "True or False", self.aux)
        for name in ("beta", "beta_g", "beta_l"):
            value = getattr(self, name)
            if name == "beta" or value is not None:
                require(is_number(value) and value >= 0, name, "a number >= 0" + ("" if name == "beta" else
                        " or None (beta's value)"), value)
        check_patch_size("patch_size", self.patch_size, self.image_shape)
        positive_int("aux_components", self.aux_components)
        require(self.aux_components == 1 or self.likelihood == "logistic", "aux_components",
                 f"1 for the {self.likelihood} likelihood (mixtures are of discretised logistics)", self.aux_components)
        require(is_int(self.warmup_steps) and self.warmup_steps >= 0, "warmup_steps", "an integer >= 0",
                 self.warmup_steps)
        one_of("init", self.init, INITS)
        one_of("decoder", self.decoder, DECODERS)
        one_of("global_input", self.global_input, GLOBAL_INPUTS)

    @property
    def kl_weights(self) -> tuple[float, float]:
        """The weights of the KL terms of z_g and of z_l: ``beta_g`` and ``beta_l``, each ``beta`` when None."""
        return (self.beta if self.beta_g is None else self.beta_g,
                self.beta if self.beta_l is None else self.beta_l)


@dataclass(frozen=True)
class AuxGMVAEConfig(AuxVAEConfig):
    """The multi-modal AuxVAE of the paper's section 3.2: a cluster variable y with ``k`` values above z_g. Its
    attributes are :class:`AuxVAEConfig`'s and these.

    Attributes:
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
        require(is_int(self.k) and self.k >= 2, "k", "an integer >= 2", self.k)
        require(is_number(self.tau) and self.tau > 0, "tau", "a positive number", self.tau)
        require(self.tau_start is None or (is_number(self.tau_start) and self.tau_start > 0), "tau_start",
                 "None (a constant temperature) or a positive number", self.tau_start)
        positive_int("anneal_steps", self.anneal_steps)
        require(is_number(self.alpha) and self.alpha >= 0, "alpha", "a number >= 0", self.alpha)
        require(all(is_int(w) and w > 0 for w in self.y_hidden), "y_hidden", "a list of positive integers",
                 self.y_hidden)
        require(is_number(self.y_dropout) and 0 <= self.y_dropout < 1, "y_dropout", "a number in [0, 1)",
                 self.y_dropout)
        one_of("posterior", self.posterior, POSTERIORS)
        one_of("branch", self.branch, BRANCHES)


def check_dataset(name: str, value: Any, optional: bool = False) -> None:
    """Raise a ValueError naming ``name`` unless ``value`` is a data set of :data:`DATASETS` (or None, when
    ``optional``): for chapter parameters that name a second data set."""
    one_of(name, value, DATASETS, optional)


def check_patch_size(name: str, value: Any, image_shape: tuple[int, int, int]) -> None:
    """Raise a ValueError naming ``name`` unless ``value`` is a patch size that divides the image."""
    _, height, width = image_shape
    sizes = [n for n in range(1, min(height, width) + 1) if height % n == 0 and width % n == 0]
    require(is_int(value) and value in sizes, name,
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
        require(is_int(self.n_classes) and self.n_classes >= 2, "n_classes", "an integer >= 2", self.n_classes)
        _check_widths(self.widths, self.image_shape)
        require(is_number(self.dropout) and 0 <= self.dropout < 1, "dropout", "a number in [0, 1)", self.dropout)
        require(is_int(self.shift) and 0 <= self.shift < min(self.image_shape[1:]), "shift",
                 f"an integer in [0, {min(self.image_shape[1:]) - 1}]", self.shift)
        require(isinstance(self.flip, bool), "flip", "True or False", self.flip)


def _check_widths(widths: tuple[int, ...], image_shape: tuple[int, int, int]) -> None:
    """Channel widths, one per stride-2 stage: positive, and no more stages than halvings of the image."""
    require(len(widths) > 0 and all(is_int(w) and w > 0 for w in widths),
             "widths", "a non-empty list of positive integers", widths)
    _, height, width = image_shape
    depth = len(widths)
    require(height % 2**depth == 0 and width % 2**depth == 0, "widths",
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
        precision: ``auto`` (bf16 autocast where it pays: a GPU with bf16, a CPU with bf16 units on which a step
            measures faster in bf16; fp32 elsewhere, see :func:`auxlib.devices.uses_bf16`), ``fp32`` or ``bf16``.
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
        positive_int("steps", self.steps)
        positive_int("batch_size", self.batch_size)
        require(is_number(self.lr) and self.lr > 0, "lr", "a positive number", self.lr)
        require(is_int(self.seed) and self.seed >= 0, "seed", "an integer >= 0", self.seed)
        positive_int("log_every", self.log_every)
        positive_int("checkpoint_every", self.checkpoint_every)
        one_of("device", self.device, DEVICES)
        one_of("precision", self.precision, PRECISIONS)
        require(isinstance(self.compile, bool), "compile", "True or False", self.compile)
        require(is_number(self.lr_decay) and 0 < self.lr_decay <= 1, "lr_decay", "a number in (0, 1]", self.lr_decay)
        positive_int("lr_decay_every", self.lr_decay_every)
        require(is_int(self.score_every) and self.score_every >= 0, "score_every", "an integer >= 0",
                 self.score_every)
        positive_int("score_images", self.score_images)
        require(self.max_minutes is None or (is_number(self.max_minutes) and self.max_minutes > 0), "max_minutes",
                 "None (no limit) or a positive number of minutes", self.max_minutes)


_NOT_IN_KEY = {"device", "precision", "compile", "checkpoint_every", "score_every", "score_images", "max_minutes"}
# Fields added after runs were first cached: left out of the key at their default so those runs keep their name.
_KEY_ONLY_IF_SET = {"arch": "compact", "extra": False, "aux_components": 1, "warmup_steps": 0,
                    "posterior": "factorised", "branch": "compact", "lr_decay": 1.0, "lr_decay_every": 1_000_000,
                    "where": None, "shift": 0, "flip": False, "beta_g": None, "beta_l": None, "init": "torch",
                    "decoder": "concat", "global_input": "image"}


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
    model: Any  # a model config of MODEL_CONFIGS, a registered variant's included
    train: TrainConfig = field(default_factory=TrainConfig)
    n_train: int | None = None
    extra: bool = False
    where: tuple[str, int] | None = None
    judge: RunConfig | None = None

    def __post_init__(self) -> None:
        _canonicalise(self)
        if self.where is not None:
            require(isinstance(self.where, (list, tuple)) and len(self.where) == 2 and isinstance(self.where[0], str)
                     and is_int(self.where[1]), "where", "None or a (factor name, integer value) pair", self.where)
        one_of("dataset", self.dataset, DATASETS)
        require(isinstance(self.extra, bool), "extra", "True or False", self.extra)
        require(not self.extra or self.dataset in EXTRA_SPLIT, "extra",
                 f"False for {self.dataset}, which has no extra split", self.extra)
        require(self.n_train is None or (is_int(self.n_train) and self.n_train > 0), "n_train",
                 "None (the whole split) or a positive integer", self.n_train)
        require(tuple(self.model.image_shape) == DATASETS[self.dataset], "model.image_shape",
                 f"{DATASETS[self.dataset]} for {self.dataset}", self.model.image_shape)
        require(self.judge is None or (isinstance(self.judge, RunConfig) and isinstance(
            self.judge.model, ClassifierConfig) and self.judge.dataset == self.dataset), "judge",
                 f"None or the RunConfig of a classifier of {self.dataset}", self.judge)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict, with the model's class name so the run can be rebuilt."""
        out = dataclasses.asdict(self)
        out["model_type"] = type(self.model).__name__
        out["judge"] = None if self.judge is None else self.judge.to_dict()
        return out

    def key(self) -> str:
        """Hash of everything that changes what is learned: the name of this run in the run cache. The device,
        precision and thread count change it only by float rounding and are left out; a run's record keeps them
        (:class:`auxlib.store.Record`'s ``ran_on``)."""
        described = self.to_dict()
        del described["judge"]
        described["train"] = {k: v for k, v in described["train"].items() if k not in _NOT_IN_KEY}
        for part in (described, described["model"], described["train"]):
            for name in [k for k, v in part.items() if _KEY_ONLY_IF_SET.get(k, ...) == v]:
                del part[name]
        text = json.dumps(described, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunConfig:
        """Inverse of :meth:`to_dict`."""
        if data["model_type"] not in MODEL_CONFIGS:
            raise ValueError(f"model_type must be one of {', '.join(MODEL_CONFIGS)} (a variant's module registers "
                             f"its own), got {data['model_type']!r}.")
        model_cls = MODEL_CONFIGS[data["model_type"]]
        return cls(dataset=data["dataset"], model=model_cls(**data["model"]), train=TrainConfig(**data["train"]),
                   n_train=data["n_train"], extra=data.get("extra", False), where=data.get("where"),
                   judge=None if data.get("judge") is None else cls.from_dict(data["judge"]))


#: Model config classes by name, as run configs and records store them; :func:`auxlib.models.register` adds a
#: variant's.
MODEL_CONFIGS: dict[str, type] = {"AuxVAEConfig": AuxVAEConfig, "AuxGMVAEConfig": AuxGMVAEConfig,
                                   "ClassifierConfig": ClassifierConfig}
