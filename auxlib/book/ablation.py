"""Experiment 2's ablation, what the gap between the book's clusters and the paper's is made of, and the sentences
of the gap chapter and of Experiment 2.1 about its runs (the last section).

Each setting is named and changes one thing from a stated baseline (the first standard profile of the book:
factorised posterior, beta = alpha = 1, no KL warm-up, patch size 4, the compact network and branch, one
discretised logistic per subpixel), or combines changes. Runs are scored during training on a fixed sample of
train images (:mod:`auxlib.monitor`), and settings are compared on those train-split scores alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..model.config import RunConfig
from ..training.store import Record
from .profiles import experiment, name_of
from .tables import lower_first, series, uses_setting

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


# The sentences: the gap chapter's, Experiment 2.1's on the longer runs, the landing page's line on the gap.
def best_verdict(scores: pd.DataFrame, chosen: str, has_factors: bool) -> str:
    """exp2_gap: the setting :func:`auxlib.ablation.best` chose on train images against the baseline (``scores``,
    the rows of :func:`auxlib.ablation.table`), by its rule, and whether its clusters follow the digit or polarity
    more."""
    row, base = scores.loc[chosen], scores.loc["baseline"]
    if not has_factors:
        rule = "the setting with the highest ACC"
    elif row["NMI digit"] > row["NMI polarity"]:
        rule = "of the settings whose clusters follow the digit more than polarity, the one with the highest ACC"
    else:
        rule = "no setting's clusters follow the digit more than polarity, and the one with the highest ACC"
    text = (f"On the train images, {rule} is **{chosen}**: {row['ACC']:.1%} against "
            f"{base['ACC']:.1%} for the baseline ({row['Δ ACC (points)']:+.1f} points), NMI with the digit "
            f"{row['NMI digit']:.3f} against {base['NMI digit']:.3f}, with {int(row['clusters used'])} clusters in "
            "use. ")
    if has_factors:
        follows = "the digit" if row["NMI digit"] > row["NMI polarity"] else "polarity"
        text += f"Its clusters follow {follows} more (NMI with polarity {row['NMI polarity']:.3f}). "
    return text + "One seed per setting: differences of a point or two are within the spread between seeds."

def polarity_diagnostic(scores: pd.DataFrame) -> str:
    """exp2_gap: the baseline's ACC and NMI with the digit on dark-on-light images alone against all images
    (rows "dark-on-light images only" and "baseline" of :func:`auxlib.ablation.table`)."""
    dark, base = scores.loc["dark-on-light images only"], scores.loc["baseline"]
    return (f"On dark-on-light images alone the baseline's clusters reach {dark['ACC']:.1%} ACC (NMI with the "
            f"digit {dark['NMI digit']:.3f}), against {base['ACC']:.1%} ({base['NMI digit']:.3f}) on all images.")

def learning_curves(curves: dict[str, Record], trends: dict[str, tuple[float, float]], paper_images: float) -> str:
    """exp2_gap: where each long run ends (its last score row) or where it diverged, and what the straight line
    through the second half of its curve gives at the paper's budget (``trends``: name -> (ACC, slope per tenfold
    of images), :func:`auxlib.ablation.trends`, none for a run that diverged), labelled as the extrapolation it
    is."""
    ends = {name: r.scores[-1] for name, r in curves.items()}
    decades = np.log10(paper_images / max(row["images"] for row in ends.values()))
    reached = []
    for name, row in ends.items():
        where = (f"its loss stopped being finite at step {curves[name].diverged_at:,}, so its curve is not "
                 "continued; its last score, after " if curves[name].diverged_at else "after ")
        polarity = f", with polarity {row['nmi_polarity']:.3f}" if "nmi_polarity" in row else ""
        reached.append(f"**{name}** reaches {row['acc']:.1%} ({where}{row['images']:,.0f} images, NMI with the digit "
                       f"{row['nmi']:.3f}{polarity}, {int(row['clusters_used'])} clusters in use)")
    lines = " ".join(f"Continuing the straight line through the second half of the {name} curve (on the log axis) "
                     f"gives {acc:.1%} at the paper's budget ({100 * slope:+.1f} points per tenfold of images)."
                     for name, (acc, slope) in trends.items())
    return (f"{'; '.join(reached)}. {led_by(ends)}{lines} This is an extrapolation over up to {decades:.1f} "
            "tenfolds of images, not a measurement: learning curves bend, and the authors' setting changes its "
            "learning rate at 1,000,000 steps.")

def led_by(ends: dict[str, dict[str, float]], what: str = "run") -> str:
    """What each clustering follows more, the digit or polarity (``ends``: name -> scores with ``nmi`` and
    ``nmi_polarity``, such as a run's last score row; :func:`auxlib.ablation.follows`); empty where the data set
    records no polarity. ``what`` names one clustering in the sentence."""
    if not all("nmi_polarity" in row for row in ends.values()):
        return ""
    groups: dict[str | None, list[str]] = {"digit": [], "polarity": [], None: []}
    for name, row in ends.items():
        groups[follows(row)].append(name)
    if len(groups["digit"]) == len(ends):
        return f"Every {what}'s clusters share more information with the digit than with polarity (NMI). "
    if len(groups["polarity"]) == len(ends):
        return f"Every {what}'s clusters share more information with polarity than with the digit (NMI). "
    said = {"digit": "share more information with the digit than with polarity (NMI)",
            "polarity": "follow polarity", None: f"follow neither (NMI below {NMI_FLOOR:g} with both)"}
    # the largest group last, as "the others" where naming it would repeat most of the table
    said_last = sorted((key for key in groups if groups[key]), key=lambda key: len(groups[key]))
    parts = [f"{'the clusters' if not i else 'those'} of {series([f'**{n}**' for n in groups[key]])} {said[key]}"
             for i, key in enumerate(said_last)]
    if len(said_last) > 1 and (len(groups[said_last[-1]]) > 1 or not groups[None]):
        parts[-1] = f"those of the others {said[said_last[-1]]}"
    text = "; ".join(parts)
    return f"{text[0].upper()}{text[1:]}. "

def gap_summary(scores: pd.DataFrame, candidates: Sequence[str], paper_acc: float, dark_gain: float | None,
                ends: dict[str, float], trends: dict[str, tuple[float, float]], budget_factor: float,
                chosen: str, adopted: str | None) -> str:
    """exp2_gap's answer: the largest gain of the ablation's ``candidates`` over the baseline, what removing
    polarity gains (``dark_gain`` points; None without factors), whether the gap to the paper's ``paper_acc``
    closes, where the best long run with a trend ends (``ends``: name -> final ACC; ``trends`` as in
    :func:`learning_curves`) and its trend at the paper's budget, and whether Experiment 2.1's models use the
    ``chosen`` setting (``adopted``: the setting they train, :func:`auxlib.ablation.setting_of`; None for none)."""
    rows = scores.loc[list(candidates)]
    gains = rows["Δ ACC (points)"].drop("baseline")
    text = (f"Of the {len(gains)} settings, the largest gain over the baseline is {gains.max():+.1f} points "
            f"({gains.idxmax()}); the best reaches {rows['ACC'].max():.1%} on train images, against the paper's "
            f"{paper_acc:.1%} on SVHN's test split. ")
    if dark_gain is not None:
        text += f"Removing polarity from the data gains {dark_gain:+.1f} points. "
    if rows["ACC"].max() < paper_acc:
        text += "At this budget, then, neither the settings nor polarity close the gap. "
    best = max(trends, key=ends.__getitem__)
    return (text + f"{budget_factor:g} times the budget takes {best} to {ends[best]:.1%}, and the trend of its curve "
            f"points to {trends[best][0]:.1%} at the paper's budget, "
            + ("short of" if trends[best][0] < paper_acc else "past")
            + " the paper's figure. "
            + uses_setting("[Experiment 2.1](exp2_1)'s models at this profile", chosen, adopted, "the ablation"))

def rows_follow(rows: dict[str, tuple[int, list[dict[str, float]]]]) -> str:
    """Experiment 2.1: which rows of the clustering table (``rows``: name -> (k, one
    :func:`auxlib.metrics.clustering_scores` dict per run)) give clusters that share more information with the digit
    than with polarity, by the mean NMI over their runs (:func:`led_by`); empty where polarity is not recorded."""
    keys = ("nmi", "nmi_polarity")
    means = {name: {key: float(np.mean([s[key] for s in scores])) for key in keys if key in scores[0]}
             for name, (_, scores) in rows.items()}
    text = led_by(means, "row")
    return f"On the test split, by the mean over each row's runs: {lower_first(text)}".strip() if text else ""

def long_budget(curves: dict[str, Record]) -> str:
    """Experiment 2.1: where the longer runs of exp2_gap (:func:`auxlib.ablation.curve_runs`, by name) end on train
    images: ACC, NMI with the digit and with polarity, then which follow the digit more (:func:`led_by`)."""
    ends = {name: r.scores[-1] for name, r in curves.items()}
    polarity = all("nmi_polarity" in row for row in ends.values())
    return ("; ".join(f"**{name}** reaches {row['acc']:.1%} ACC after {row['images']:,.0f} images (NMI with the "
                      f"digit {row['nmi']:.3f}" + (f", with polarity {row['nmi_polarity']:.3f})" if polarity else ")")
                      for name, row in ends.items())
            + ". " + led_by(ends)).strip()

def gap_headline(gap: dict | None) -> str:
    """The landing page's line on Experiment 2's gap, from exp2_gap's results (``gap``; None when not executed):
    what its ablation gains, where ten times the budget takes the setting that gains most, and which of its longer
    runs end with clusters that follow the digit more than polarity (:func:`led_by`)."""
    if gap is None:
        return "The [gap chapter](exp2_gap), which asks what Experiment 2's gap is made of, has not been executed here."
    chosen, scores, curve = gap["chosen"], gap["scores"], gap["curves"][gap["chosen"]]
    longer = gap["settings"]["curve_steps"] / gap["baseline"]["train"]["steps"]
    ends = {name: c["scores"][-1] for name, c in gap["curves"].items()}
    follow = led_by(ends)
    return (f"**[What Experiment 2's gap is made of](exp2_gap)** ({gap['dataset']}, train images): of the ablation's "
            f"settings, {chosen} gains most, {100 * (scores[chosen]['acc'] - scores['baseline']['acc']):+.1f} "
            f"points of ACC over the baseline; {longer:g} times the budget takes it to "
            f"{curve['scores'][-1]['acc']:.1%}, "
            + ("where its loss stopped being finite." if curve["extrapolated_acc"] is None else
               f"and the trend of its curve points to {curve['extrapolated_acc']:.1%} at the paper's "
               "budget (an extrapolation).")
            + (f" At the end of the longer runs, {lower_first(follow)}".rstrip() if follow else ""))
