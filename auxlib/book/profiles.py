"""Profiles: what each chapter runs at each budget, and the named experiments that chapters share.

A chapter turns its notebook parameters into a :class:`~auxlib.config.RunConfig` with :func:`experiment`, which
starts from the chosen profile's values and applies every parameter that is not ``None``; its other settings (sweep
lists, image counts) come from :func:`settings`. A run that more than one chapter trains is built by one named
function (:func:`auxvae`, :func:`plain_vae`, :func:`beta_vae`, :func:`classifier`, :func:`auxgmvae`), so that the
chapters find it in the run cache under one key; :data:`SHARED` says which chapters use each.
"""

from __future__ import annotations

import dataclasses
import importlib
from typing import Any

from ..checks import as_list, as_number, is_int, is_number, one_of, positive_int, require
from ..model.config import DATASETS, EXTRA_SPLIT, AuxGMVAEConfig, AuxVAEConfig, ClassifierConfig, RunConfig, TrainConfig

PROFILE_NAMES = ("quick", "standard", "paper")

# Profiles: what each chapter runs at each budget. Keys are fields of the model config, of TrainConfig, or
# ``n_train``. ``quick`` exists for tests (seconds); ``standard`` is what the committed book shows, sized for a
# 2-core CPU; ``paper`` is the paper's network and budget ([SPLIT]: its architecture, batch 64, Adam 1e-4,
# 1,000,000 steps, 128 + 128 latents, train + extra where the data set has an extra split), meant for GPUs.
_PAPER = dict(arch="split", extra=True, z_g=128, z_l=128, steps=1_000_000, batch_size=64, lr=1e-4,
              checkpoint_every=10_000, log_every=500)
# The setting of Experiment 2 that scored best in the ablation (exp2_gap, on train-split scores): beta = alpha = 8.
_EXP2_CHOSEN = dict(beta=8.0, alpha=8.0)
# The setting of Experiment 1 whose decodes scored best in its sweep (exp1_2, auxlib.decode_sweep, on train-split
# scores at the standard budget): the paper's latent sizes.
_EXP1_CHOSEN = dict(z_g=128, z_l=128)
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
    # models. Patch size 1 (pixel shuffle) is the paper's setting for this experiment ([SPLIT]); the quick and
    # standard profiles use the setting its sweep chose.
    # Their decodes are scored during training by the chapter's classifier (JUDGED).
    "exp1": {
        "quick": dict(_EXP1_CHOSEN, patch_size=1, steps=20, batch_size=32, lr=1e-3, n_train=1024, log_every=5,
                      checkpoint_every=10, score_every=10, score_images=128),
        "standard": dict(_EXP1_CHOSEN, patch_size=1, steps=3500, batch_size=64, lr=1e-3, log_every=50,
                         checkpoint_every=500, score_every=250, score_images=2000),
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
    # runs of the Experiment 1 network, at the latent sizes its sweep chose; its three main models are Experiment
    # 1's, found in the run cache.
    "placement": {
        "quick": dict(_EXP1_CHOSEN, steps=20, batch_size=32, n_train=1024, log_every=5, checkpoint_every=10),
        "standard": dict(_EXP1_CHOSEN, steps=2000, batch_size=64, lr=1e-3, log_every=50, checkpoint_every=500),
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
# of what limits the decodes (auxlib.decode_sweep); curve_steps: the longer run of the setting the sweep chose
_EXP1_2 = dict(betas=[0.5, 1.0, 2.0, 4.0, 8.0], baseline_beta=4.0)
SETTINGS: dict[str, dict[str, dict[str, Any]]] = {
    "method": {profile: {"patch_sizes": [1, 2, 4, 8, 16, 32]} for profile in PROFILE_NAMES},
    "data": {"quick": {"kmeans_images": 1000}, "standard": {"kmeans_images": 10_000},
             "paper": {"kmeans_images": 26_032}},
    "exp1_1": {"quick": {"codes": 2, "swap_images": 4, "eval_images": 200},
               "standard": {"codes": 3, "swap_images": 8, "eval_images": 2000},
               "paper": {"codes": 3, "swap_images": 8, "eval_images": 10_000}},
    "exp1_2": {"quick": dict(_EXP1_2, eval_images=200, repeats=2, extra_seeds=[1], sweep_steps=40, curve_steps=60,
                             workers=2),
               "standard": dict(_EXP1_2, eval_images=3000, repeats=3, extra_seeds=[1, 2], sweep_steps=10_000,
                                curve_steps=20_000, workers=2),
               "paper": dict(_EXP1_2, eval_images=26_032, repeats=5, extra_seeds=[1, 2], sweep_steps=200_000,
                             curve_steps=1_000_000, workers=1)},
    "exp2_1": {"quick": {"seeds": [0, 1], "k10_seeds": [0], "kmeans_train": 1000},
               "standard": {"seeds": [0, 1, 2, 3], "k10_seeds": [0, 1], "kmeans_train": 10_000},
               "paper": {"seeds": [0, 1, 2, 3], "k10_seeds": [0, 1, 2, 3], "kmeans_train": 73_257}},
    "exp2_2": {"quick": {"grid": 4}, "standard": {"grid": 8}, "paper": {"grid": 10}},
    # curve_steps: the longer budget of the learning curves of the chosen and the authors' settings
    "exp2_gap": {"quick": {"workers": 2, "curve_steps": 40}, "standard": {"workers": 2, "curve_steps": 50_000},
                 "paper": {"workers": 1, "curve_steps": 3_000_000}},
    # the study of where local information goes: its settings (auxlib.local_sweep), the train images that fit
    # and score the probes, the pairs of Fig. 2 grids per model, the fitting sizes of the digit probe's check,
    # and the seeds besides `seed` that the settings which decide are trained with
    "local": {
        "quick": dict(setting_names=["standard", "FiLM decoder"], fit_images=300, held_images=200, grids=2,
                      curve_images=[100, 300], extra_seeds=[1]),
        "standard": dict(setting_names=["standard", "β = 4", "β = 10", "β = 40 ([SPLIT]'s)", "β_g = 4", "β_g = 10",
                                   "z = 32 + 32", "z = 64 + 64", "10,000 steps",
                                   "[SPLIT]'s network, 20,000 steps", "FiLM decoder",
                                   "z_g sees luma", "z_g sees luma, polarity removed",
                                   "FiLM decoder + z_g sees luma, polarity removed"],
                         fit_images=5000, held_images=2000, grids=5, curve_images=[5000, 10_000, 20_000],
                         extra_seeds=[1, 2]),
        "paper": dict(setting_names=["standard", "β = 4", "β = 10", "β = 40 ([SPLIT]'s)", "β_g = 4", "β_g = 10",
                                "FiLM decoder", "z_g sees luma", "z_g sees luma, polarity removed",
                                "FiLM decoder + z_g sees luma, polarity removed"],
                      fit_images=20_000, held_images=5000, grids=5, curve_images=[5000, 20_000, 50_000],
                      extra_seeds=[1, 2]),
    },
    "placement": {
        "quick": dict(patch_sizes=[1, 4], betas=[1.0, 4.0], extra_seeds=[1], z_g_sizes=[64, 192],
                      probe_images=300, workers=2),
        "standard": dict(patch_sizes=[1, 2, 4, 8, 16], betas=[0.5, 1.0, 4.0, 16.0], extra_seeds=[1, 2],
                         z_g_sizes=[64, 192], probe_images=5000, workers=2),
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


def register(chapter: str, settings: dict[str, dict[str, Any]] | None = None,
             profile: dict[str, dict[str, Any]] | None = None, model: type | None = None) -> None:
    """Add a chapter's values, so that one module can hold a whole chapter (see CONTRIBUTING.md): its
    ``settings`` per profile (what :func:`settings` reads), the ``profile`` of its training runs per profile (what
    :func:`experiment` reads) and their ``model`` config class when not :class:`AuxVAEConfig`. A chapter module
    ``auxlib/book/<chapter>.py`` that calls this on import is found by :func:`experiment` and :func:`settings`
    the first time they are asked for the chapter.

    Raises:
        ValueError: when the chapter is registered already, or a table lacks one of :data:`PROFILE_NAMES`.
    """
    require(chapter not in SETTINGS and chapter not in PROFILES, "chapter", "a name no chapter has yet", chapter)
    for name, table in (("settings", settings), ("profile", profile)):
        require(table is None or set(table) == set(PROFILE_NAMES), name,
                f"a table with one entry per profile ({', '.join(PROFILE_NAMES)})", sorted(table or []))
    if settings is not None:
        SETTINGS[chapter] = settings
    if profile is not None:
        PROFILES[chapter] = profile
    if model is not None:
        CHAPTER_MODELS[chapter] = model


def _find(chapter: str, table: dict[str, Any]) -> None:
    """Import ``auxlib.book.<chapter>`` when ``table`` lacks the chapter: a chapter module registers itself."""
    if chapter not in table and isinstance(chapter, str) and chapter.isidentifier():
        try:
            importlib.import_module(f"{__package__}.{chapter}")
        except ModuleNotFoundError as error:
            if error.name != f"{__package__}.{chapter}":
                raise  # the chapter's module exists and fails to import: say why


def experiment(chapter: str, profile: str = "standard", dataset: str = "cifar10", model: type | None = None,
               **params: Any) -> RunConfig:
    """Build the validated run config of a chapter from a profile and the notebook's parameters.

    Parameters that are ``None`` keep the profile's value; any other value overrides it. ``model`` is the config
    class, by default the chapter's own (:data:`CHAPTER_MODELS`, else :class:`AuxVAEConfig`).
    """
    _find(chapter, PROFILES)
    one_of("chapter", chapter, PROFILES)
    model = model or CHAPTER_MODELS.get(chapter, AuxVAEConfig)
    one_of("profile", profile, PROFILE_NAMES)
    one_of("dataset", dataset, DATASETS)
    values = dict(PROFILES[chapter][profile], **PROFILE_BY_DATASET.get(chapter, {}).get(profile, {}).get(dataset, {}))
    if dataset not in EXTRA_SPLIT:
        values.pop("extra", None)  # a profile's "train + extra" means the train split where there is no extra
    values.update({k: v for k, v in params.items() if v is not None})
    model_fields = {f.name for f in dataclasses.fields(model)}
    known = model_fields | _TRAIN_FIELDS | {"n_train", "extra", "where"}
    unknown = set(values) - known
    require(not unknown, "parameters", f"among {', '.join(sorted(known))}", sorted(unknown))
    model_cfg = model(image_shape=DATASETS[dataset], **{k: v for k, v in values.items() if k in model_fields})
    train_cfg = TrainConfig(**{k: v for k, v in values.items() if k in _TRAIN_FIELDS})
    judged = chapter in JUDGED and train_cfg.score_every > 0 and type(model_cfg) is AuxVAEConfig
    return RunConfig(dataset=dataset, model=model_cfg, train=train_cfg, n_train=values.get("n_train"),
                     extra=values.get("extra", False), where=values.get("where"),
                     judge=classifier(profile, dataset) if judged else None)


def settings(chapter: str, profile: str = "standard", **params: Any) -> dict[str, Any]:
    """A chapter's non-training settings for a profile, with the notebook's parameters that are not None
    applied. Integer settings must stay positive integers, number settings numbers >= 0, and list settings
    lists of numbers >= 0 (integers where the profile's are), non-empty unless [] means "skip"."""
    _find(chapter, SETTINGS)
    one_of("chapter", chapter, SETTINGS)
    one_of("profile", profile, PROFILE_NAMES)
    values = dict(SETTINGS[chapter][profile])
    unknown = set(params) - set(values)
    require(not unknown, "parameters", f"among {', '.join(sorted(values)) or 'none'}", sorted(unknown))
    for name, value in params.items():
        if value is None:
            continue
        default = values[name]
        value = as_list(value) if isinstance(default, list) else as_number(value)
        if is_int(default):
            positive_int(name, value)
        elif is_number(default):
            require(is_number(value) and value >= 0, name, "a number >= 0", value)
        elif isinstance(default, list) and default and all(isinstance(v, str) for v in default):
            value = [value] if isinstance(value, str) else value  # one name: a list of one
            require(isinstance(value, (list, tuple)) and len(value) > 0 and all(isinstance(v, str) for v in value),
                     name, "a non-empty list of names", value)
            value = list(value)
        elif isinstance(default, list):
            integers = all(is_int(v) for v in default)
            kind = "integers" if integers else "numbers"
            require(isinstance(value, (list, tuple)) and (len(value) > 0 or name in _MAY_BE_EMPTY)
                     and all((is_int(v) if integers else is_number(v)) and v >= 0 for v in value), name,
                     f"a {'' if name in _MAY_BE_EMPTY else 'non-empty '}list of {kind} >= 0", value)
            value = list(value)
        values[name] = value
    return values


# The named experiments. Each takes the chapter parameters that define its run; None keeps the profile's value.
def auxvae(profile: str = "standard", dataset: str = "cifar10", seed: int = 0, **params: Any) -> RunConfig:
    """Experiment 1's AuxVAE (the paper's section 3.1): trained in exp1_1, judged in exp1_2, measured in placement.
    ``params`` are fields of :class:`~auxlib.config.AuxVAEConfig` or :class:`~auxlib.config.TrainConfig`."""
    return experiment("exp1", profile, dataset=dataset, seed=seed, **params)


def plain_vae(profile: str = "standard", dataset: str = "cifar10", seed: int = 0, **params: Any) -> RunConfig:
    """Experiment 1's network without the auxiliary task (``aux=False``): the plain VAE of exp1_2, placement and
    exp2_1's k-means baseline."""
    return experiment("exp1", profile, dataset=dataset, seed=seed, **dict(params, aux=False))


def beta_vae(profile: str = "standard", dataset: str = "cifar10", seed: int = 0, beta: float | None = None,
             **params: Any) -> RunConfig:
    """The plain VAE with the KL weight ``beta`` (None: exp1_2's ``baseline_beta`` of the profile), the
    beta-VAE baseline of exp1_2 and placement."""
    beta = settings("exp1_2", profile)["baseline_beta"] if beta is None else beta
    return plain_vae(profile, dataset, seed, beta=beta, **params)


def classifier(profile: str = "standard", dataset: str = "cifar10", seed: int = 0, **params: Any) -> RunConfig:
    """The small CNN that reads images: trained in the data chapter, the judge of exp1_2's decodes and of
    Experiment 1's runs during training (:data:`JUDGED`)."""
    return experiment("classifier", profile, dataset=dataset, seed=seed, **params)


def auxgmvae(profile: str = "standard", dataset: str = "cifar10", seed: int = 0, **params: Any) -> RunConfig:
    """Experiment 2's AuxGMVAE (the paper's section 3.2): clustered in exp2_1, its z_g and z_l swapped in exp2_2.
    ``params`` are fields of :class:`~auxlib.config.AuxGMVAEConfig` or :class:`~auxlib.config.TrainConfig`."""
    return experiment("exp2", profile, dataset=dataset, seed=seed, **params)


def name_of(config: RunConfig, candidates: dict[str, RunConfig]) -> str | None:
    """The name under which ``candidates`` (the settings of a sweep, by name) holds a run with ``config``'s key, or
    None when none does, as when a reader changed a notebook parameter."""
    return next((name for name, c in candidates.items() if c.key() == config.key()), None)


#: The chapters that train each named experiment, at their default parameters, under one run key (a test checks it).
SHARED: dict[str, tuple[str, ...]] = {
    "auxvae": ("exp1_1", "exp1_2", "placement"),
    "plain_vae": ("exp1_2", "placement", "exp2_1"),
    "beta_vae": ("exp1_2", "placement"),
    "classifier": ("data", "exp1_2"),
    "auxgmvae": ("exp2_1", "exp2_2"),
}
