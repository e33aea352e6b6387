"""Experiment 2's ablation: what the gap between the book's clusters and the paper's is made of.

Each setting is named and changes one thing from a stated baseline (the first standard profile of the book:
factorised posterior, beta = alpha = 1, no KL warm-up, patch size 4, the compact network and branch, one
discretised logistic per subpixel), or combines changes. Runs are scored during training on a fixed sample of
train images (:mod:`auxlib.monitor`), and settings are compared on those train-split scores alone.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..model.config import RunConfig
from ..training.store import Record
from .profiles import experiment, name_of

#: The baseline, spelled out so that it stays fixed when the profile adopts another setting.
BASELINE: dict[str, Any] = dict(posterior="factorised", branch="compact", beta=1.0, alpha=1.0, warmup_steps=0,
                                aux_components=1, patch_size=4, y_hidden=(256, 128), where=None)
#: [SPLIT]'s z_g branch and y head (model.py of 51616/split-vae).
SPLIT_BRANCH: dict[str, Any] = dict(branch="split", y_hidden=(1024, 128))
#: The polarity value of dark digits on a light background in synth-svhn's factors.
DARK_ON_LIGHT = 0
#: The authors' setting at the book's scale: [SPLIT]'s clustering run on the compact network.
SPLIT_SETTING = "[SPLIT]'s setting: joint, β = α = 40, [SPLIT] branch"
#: [SPLIT]'s setting with their learning rate too (1e-4, the ``paper`` profile's; the ablation's runs use 1e-3).
SPLIT_SETTING_SLOW = "[SPLIT]'s setting at their learning rate, 1e-4"
#: The baseline and the settings that change one thing from it.
SINGLE = ("baseline", "β = α = 8", "β = α = 40", "KL warm-up", "β = α = 8, warm-up", "β = α = 40, warm-up",
          "joint posterior", "[SPLIT] branch", "mixture p̂(x̂ | z_l)", "patch size 1")
#: The settings that are diagnostics, not candidates: they train on other images (half of them).
DIAGNOSTICS = ("dark-on-light images only",)


def changes(steps: int) -> dict[str, dict[str, Any]]:
    """The settings of the ablation as overrides of :data:`BASELINE`, by name; ``steps`` is the run length, whose
    first half a KL warm-up spans. One change at a time first (:data:`SINGLE`), then the combinations, then the
    diagnostic that trains on dark-on-light images only (how much of the gap polarity alone explains)."""
    warm = dict(warmup_steps=steps // 2)
    joint = dict(posterior="joint")
    single: dict[str, dict[str, Any]] = {
        "baseline": {},
        "β = α = 8": dict(beta=8.0, alpha=8.0),
        "β = α = 40": dict(beta=40.0, alpha=40.0),
        "KL warm-up": warm,
        "β = α = 8, warm-up": dict(beta=8.0, alpha=8.0, **warm),
        "β = α = 40, warm-up": dict(beta=40.0, alpha=40.0, **warm),
        "joint posterior": joint,
        "[SPLIT] branch": SPLIT_BRANCH,
        "mixture p̂(x̂ | z_l)": dict(aux_components=2),
        "patch size 1": dict(patch_size=1),
    }
    combined = {
        "joint, β = α = 40, warm-up": dict(joint, beta=40.0, alpha=40.0, **warm),
        SPLIT_SETTING: dict(joint, beta=40.0, alpha=40.0, **SPLIT_BRANCH),
    }
    diagnostic = {"dark-on-light images only": dict(where=("polarity", DARK_ON_LIGHT))}
    assert tuple(single) == SINGLE and tuple(diagnostic) == DIAGNOSTICS
    return {**single, **combined, **diagnostic}


def runs(profile: str, dataset: str, seed: int = 0, steps: int | None = None, diagnostics: bool = True
         ) -> dict[str, RunConfig]:
    """The run config of every setting of :func:`changes`, by name: Experiment 2's network at ``profile``
    (``steps`` overrides its length), with the baseline's values and then the setting's. ``diagnostics=False``
    leaves out :data:`DIAGNOSTICS` (they need a data set that records polarity)."""
    length = experiment("exp2", profile, dataset=dataset, steps=steps).train.steps
    return {name: experiment("exp2", profile, dataset=dataset, seed=seed, steps=steps, **dict(BASELINE, **change))
            for name, change in changes(length).items() if diagnostics or name not in DIAGNOSTICS}


def setting_of(config: RunConfig, profile: str) -> str | None:
    """The name of the setting of :func:`changes` that ``config`` trains (at its own data set, seed and number of
    steps), or None when it is none of them (:func:`auxlib.profiles.name_of`)."""
    return name_of(config, runs(profile, config.dataset, seed=config.train.seed, steps=config.train.steps))


def curve_runs(profile: str, dataset: str, chosen: str, steps: int, seed: int = 0) -> dict[str, RunConfig]:
    """The ``chosen`` setting and [SPLIT]'s (:data:`SPLIT_SETTING`, and :data:`SPLIT_SETTING_SLOW` with their
    learning rate), trained for ``steps``, a longer budget, for their learning curves; a warm-up spans the first
    half of the longer run too."""
    configs = runs(profile, dataset, seed=seed, steps=steps, diagnostics=False)
    if chosen not in configs:
        raise ValueError(f"chosen must be one of the ablation's candidate settings, got {chosen!r}.")
    slow = experiment("exp2", profile, dataset=dataset, seed=seed, steps=steps,
                      **dict(BASELINE, **changes(steps)[SPLIT_SETTING], lr=1e-4))
    return {**{name: configs[name] for name in dict.fromkeys([chosen, SPLIT_SETTING])}, SPLIT_SETTING_SLOW: slow}


def final_scores(record: Record) -> dict[str, float]:
    """The last row of a run's training-time scores, with the last logged KL terms (nats per image)."""
    if not record.scores:
        raise ValueError(f"record must hold training-time scores (score_every > 0), got none for run "
                         f"{record.config.key()}.")
    last = record.history[-1]
    return {**record.scores[-1], **{k: last[k] for k in ("kl_g", "kl_l", "kl_y") if k in last}}


def table(records: dict[str, Record]) -> pd.DataFrame:
    """One row per setting: the final train-split cluster scores (:mod:`auxlib.monitor`), the change of ACC from
    the ``baseline`` row in points, the KL terms and the training time in minutes."""
    rows = {name: final_scores(r) for name, r in records.items()}
    base = rows["baseline"]["acc"]
    out = pd.DataFrame({name: {"ACC": s["acc"], "Δ ACC (points)": 100 * (s["acc"] - base), "NMI digit": s["nmi"],
                               "NMI polarity": s.get("nmi_polarity", float("nan")),
                               "clusters used": int(s["clusters_used"]), "kl_g": s.get("kl_g"),
                               "kl_y": s.get("kl_y"), "minutes": records[name].seconds / 60}
                        for name, s in rows.items()}).T
    return out.astype({"clusters used": int})


def best(records: dict[str, Record]) -> str:
    """The candidate setting (not a diagnostic) with the highest final train-split ACC among those whose clusters
    share more information with the digit than with polarity (final NMI, :func:`follows_digit`); among all
    candidates when none does or the data set records no polarity."""
    final = {name: final_scores(r) for name, r in records.items() if name not in DIAGNOSTICS}
    candidates = {name: s["acc"] for name, s in final.items() if follows_digit(s)} or {
        name: s["acc"] for name, s in final.items()}
    return max(candidates, key=candidates.__getitem__)


#: Clusters whose NMI with the digit and with polarity are both below this follow neither (a collapse to one
#: cluster gives 0 with both).
NMI_FLOOR = 0.01


def follows(scores: dict[str, float]) -> str | None:
    """What clusters follow more, "digit" or "polarity", by their NMI with each: ``scores`` holds ``nmi`` and
    ``nmi_polarity`` (a row of training-time scores, or :func:`auxlib.metrics.clustering_scores`). None when both
    are below :data:`NMI_FLOOR` or the data set records no polarity."""
    if "nmi_polarity" not in scores or max(scores["nmi"], scores["nmi_polarity"]) < NMI_FLOOR:
        return None
    return "digit" if scores["nmi"] > scores["nmi_polarity"] else "polarity"


def follows_digit(scores: dict[str, float]) -> bool:
    """Whether clusters share more information with the digit than with polarity (:func:`follows`)."""
    return follows(scores) == "digit"


def extrapolate(scores: list[dict[str, float]], images: float, key: str = "acc", tail: float = 0.5
                ) -> tuple[float, float]:
    """Where a learning curve is heading: a straight line through the last ``tail`` share of its points in
    (log10 images seen, ``key``), read at ``images`` (clipped to [0, 1]), with its slope per tenfold of images.

    A guess that assumes the curve keeps its recent log-linear trend; the book labels it as an extrapolation.
    Raises ValueError with fewer than 2 points in the tail.
    """
    rows = sorted(scores, key=lambda r: r["images"])
    used = rows[int(len(rows) * (1 - tail)):]
    if len(used) < 2:
        raise ValueError(f"scores must hold at least 2 points in the last {tail:.0%} of the curve, got {len(used)}.")
    slope, intercept = np.polyfit(np.log10([r["images"] for r in used]), [r[key] for r in used], 1)
    return float(np.clip(intercept + slope * np.log10(images), 0.0, 1.0)), float(slope)


def trends(curves: dict[str, Record], images: float) -> dict[str, tuple[float, float]]:
    """:func:`extrapolate` of each learning curve to ``images``, by name, leaving out the runs that diverged: a
    curve that ends where the loss stopped being finite has no trend to continue."""
    return {name: extrapolate(r.scores, images) for name, r in curves.items() if r.diverged_at is None}


def describe(config: RunConfig) -> str:
    """The settings the ablation varies, of one AuxGMVAE run, as a phrase for the book."""
    m, t = config.model, config.train
    likelihood = (f"a mixture of {m.aux_components} discretised logistics" if m.aux_components > 1
                  else "one discretised logistic per subpixel")
    warm = f"a KL warm-up over {m.warmup_steps:,} steps" if m.warmup_steps else "no KL warm-up"
    return (f"the {m.posterior} posterior, β = {m.beta:g}, α = {m.alpha:g}, {warm}, the {m.branch} branch, "
            f"{likelihood} for p̂(x̂ | z_l), patch size {m.patch_size}, {t.steps:,} steps of {t.batch_size} images")
