"""The sentences the chapters print about what they measured, built from the numbers by the rules of
:mod:`auxlib.claims`. Each function serves one paragraph of one chapter, named in its docstring, and returns
Markdown. A chapter with a module of its own keeps its sentences there (the local chapter's in
:mod:`auxlib.local_sweep`, Experiment 1.1's in :mod:`auxlib.fig2`, the placement chapter's in
:mod:`auxlib.placement`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..data import NAMES
from ..model.config import RunConfig
from ..model.likelihoods import bits_per_dim
from ..training.store import Record, Run
from . import ablation, claims
from .decode_sweep import DECODES, scores_at
from .profiles import PROFILES
from .tables import duration, mean_std, series


# The landing page.
def gap_headline(gap: dict | None) -> str:
    """The landing page's line on Experiment 2's gap, from exp2_gap's results (``gap``; None when not executed):
    what its ablation gains, where ten times the budget takes the setting that gains most, and which of its longer
    runs end with clusters that follow the digit more than polarity (:func:`led_by`)."""
    if gap is None:
        return "The [gap chapter](exp2_gap), which asks what Experiment 2's gap is made of, has not been executed here."
    chosen, scores, curve = gap["chosen"], gap["scores"], gap["curves"][gap["chosen"]]
    longer = gap["settings"]["curve_steps"] / gap["baseline"]["train"]["steps"]
    ends = {name: c["scores"][-1] for name, c in gap["curves"].items()}
    return (f"**[What Experiment 2's gap is made of](exp2_gap)** ({gap['dataset']}, train images): of the ablation's "
            f"settings, {chosen} gains most, {100 * (scores[chosen]['acc'] - scores['baseline']['acc']):+.1f} "
            f"points of ACC over the baseline; {longer:g} times the budget takes it to "
            f"{curve['scores'][-1]['acc']:.1%}, "
            + ("where its loss stopped being finite." if curve["extrapolated_acc"] is None else
               f"and the trend of its curve points to {curve['extrapolated_acc']:.1%} at the paper's "
               "budget (an extrapolation).")
            + (f" At the end of the longer runs, {_lower_first(led_by(ends))}".rstrip() if led_by(ends) else ""))


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def checklist(checks: dict[str, bool]) -> str:
    """A Markdown list with one line per check: "- <name>: met", or "**missed**"."""
    return "\n".join(f"- {name}: {'met' if ok else '**missed**'}" for name, ok in checks.items())


def budget_note(config: RunConfig, chapter: str) -> str:
    """What a run trains for against the paper's steps for the same ``chapter`` (its ``paper`` profile)."""
    paper_steps = PROFILES[chapter]["paper"]["steps"]
    return (f"Each run here trains for {config.train.steps:,} steps of {config.train.batch_size} images, the paper's "
            f"for {paper_steps:,} (the `paper` profile); the table above is what this budget gives.")


# The method and data chapters.
def training_terms(run: Run) -> str:
    """The method chapter: the final loss terms of an AuxVAE ``run`` (nats per image), with the reconstruction
    terms in bits per dimension too where its likelihood is the discretised logistic (for which bits per
    dimension is the field's measure; :func:`auxlib.likelihoods.bits_per_dim`)."""
    final, tc, model = run.history[-1], run.config.train, run.config.model
    in_bits = ""
    if model.likelihood == "logistic":
        rec, aux = (bits_per_dim(final[k], model.image_shape) for k in ("rec", "aux"))
        in_bits = f" ({rec:.2f} and {aux:.2f} bits per dimension)"
    return (f"After {final['step']:,} steps of batch {tc.batch_size} ({duration(run.seconds)} of training on "
            f"{run.config.dataset}), the main reconstruction term is {final['rec']:,.0f} nats per image and the "
            f"auxiliary one {final['aux']:,.0f}{in_bits}. The KL terms say how much each part of the latent holds: "
            f"{final['kl_g']:.1f} nats in $z_g$ and {final['kl_l']:.1f} in $z_l$.")


def classifier_trained(run: Run, accuracy: float, images: int) -> str:
    """The data chapter: how long the classifier ``run`` trained and its ``accuracy`` on ``images`` test images."""
    tc = run.config.train
    return (f"After {tc.steps:,} steps of batch {tc.batch_size} ({duration(run.seconds)}), the classifier labels "
            f"**{accuracy:.1%}** of the {images:,} test images correctly.")


def pixel_clusters(table: pd.DataFrame, images: int) -> str:
    """The data chapter: how well k-means on the raw pixels recovers the digit (``table``: one row per factor,
    with "NMI", "many-to-one ACC" and "majority baseline", sorted by NMI), and the factors it follows most."""
    label = table.loc["label"]
    top = ", ".join(f"{name} (NMI {nmi:.3f})" for name, nmi in table["NMI"].iloc[:3].items())
    return (f"On {images:,} test images, k-means' clusters recover the digit label with a many-to-one accuracy of "
            f"{label['many-to-one ACC']:.1%} (always guessing the most frequent digit: "
            f"{label['majority baseline']:.1%}; NMI {label['NMI']:.3f}), while the factors they follow most closely "
            f"are {top}.")


# Experiment 1.2.
def evaluation_setup(dataset: str, classifier: float, test_images: int, images: int, repeats: int,
                     chance: float) -> str:
    """Experiment 1.2: the classifier's accuracy on the held-out test split (of ``test_images``) against the
    paper's, and what the decodes are made from (``images`` test images, ``repeats`` prior draws each)."""
    return (f"On {NAMES[dataset]}, the classifier labels **{classifier:.1%}** of the {test_images:,} held-out test "
            f"images correctly (paper: {claims.CLASSIFIER_BAR:.0%}). The decodes below are made from {images:,} "
            f"random test images, {repeats} times each with fresh prior draws and shuffles; always guessing the "
            f"most frequent digit would score {chance:.1%}.")


def fig3(scores: dict[str, Sequence[float]], chance: float, checks: dict[str, bool]) -> str:
    """Experiment 1.2: the classifier's accuracy on each decode (``scores``: decode -> one value per seed) with
    its spread between seeds, and the checks of :func:`auxlib.claims.fig3_checks`."""
    mean = {t: float(np.mean(v)) for t, v in scores.items()}
    spread = {t: 100 * float(np.std(v)) for t, v in scores.items()}
    return (f"Over {len(scores['reconstruction'])} seeds, the reconstructions are read correctly "
            f"**{mean['reconstruction']:.1%}** (± {spread['reconstruction']:.1f} points, the standard deviation "
            f"between seeds) of the time, the decodes that keep only $z_g$ **{mean['z_l resampled']:.1%}** "
            f"(± {spread['z_l resampled']:.1f}), and those that keep only $z_l$ **{mean['z_g resampled']:.1%}** "
            f"(± {spread['z_g resampled']:.1f}; chance {chance:.1%}). Against the paper's bar and the stricter "
            "aim:\n\n" + checklist(checks))


def fig3_reading(mean: dict[str, float], chance: float, classifier: float, run: Run) -> str:
    """Experiment 1.2: what limits the three accuracies (``mean``, by decode): the reconstructions when they miss
    the paper's bar (with ``run``'s budget and the ``classifier``'s accuracy on real images), then what drawing
    each part again costs, and whether z_l holds any trace of the digit (:data:`auxlib.claims.CLEAN_MARGIN`)."""
    notes = []
    if mean["reconstruction"] < claims.RECONSTRUCTION_BAR:
        tc, paper_steps = run.config.train, PROFILES["exp1"]["paper"]["steps"]
        notes.append(f"The reconstructions are read less well than in the paper, and every other bar is bounded by "
                     f"them. Each model here trains for {tc.steps:,} steps of batch {tc.batch_size} "
                     f"({duration(run.seconds)} on this machine) against the paper's {paper_steps:,}, and its "
                     f"reconstructions are blurred; the classifier itself reads {classifier:.1%} of the real test "
                     "images. The `paper` profile, meant for a GPU, is the setting that would show how much of the "
                     "gap longer training closes.")
    notes.append(f"Drawing $z_l$ from the prior costs {100 * (mean['reconstruction'] - mean['z_l resampled']):.1f} "
                 f"points of accuracy, and drawing $z_g$ leaves {mean['z_g resampled']:.1%}, "
                 f"{100 * (mean['z_g resampled'] - chance):+.1f} points from chance"
                 + (": the digit is in $z_g$, and $z_l$ holds no trace of it that this classifier can read."
                    if abs(mean["z_g resampled"] - chance) <= claims.CLEAN_MARGIN else "."))
    return "\n\n".join(notes)


def baseline_gaps(gaps: dict[str, float], aux: str = "AuxVAE", per_seed: dict[str, Sequence[float]] | None = None
                  ) -> str:
    """Experiment 1.2: the gap between keeping z_g and keeping z_l, (ii) - (iii), for each model (``gaps``, by
    name, the mean over seeds; ``aux`` names the model with the auxiliary task), and the half that holds the digit
    alone in each, by :func:`auxlib.claims.digit_half`; with ``per_seed`` (name -> one gap per seed), the half of
    each seed too, since the mean of models whose halves are alike hides which half each seed chose."""
    where = {name: claims.digit_half(gap) for name, gap in gaps.items()}
    said = {"z_g": "in $z_g$", "z_l": "in $z_l$", None: "in neither half alone (drawing either again loses it)"}
    text = ("The gap between keeping $z_g$ and keeping $z_l$ is "
            + series([f"{100 * gap:+.1f} points for the {name}" for name, gap in gaps.items()])
            + f". Taking a half to hold the digit alone when keeping it is read at least "
            f"{100 * claims.DIGIT_HALF_GAP:.0f} points better than keeping the other, "
            + ("by the mean over seeds " if per_seed else "")
            + series([f"the {name} holds it {said[w]}" for name, w in where.items()]) + ".")
    if per_seed:
        halves = {name: [claims.digit_half(g) for g in values] for name, values in per_seed.items()}
        short = {"z_g": "in $z_g$", "z_l": "in $z_l$", None: "in neither half alone"}

        def counted(found: list[str | None]) -> str:
            kinds = sorted(set(found), key=found.index)
            return " and ".join(f"{short[k]} in {found.count(k)}" for k in kinds) + f" of {len(found)} seeds"

        text += " Seed by seed, " + "; ".join(f"the {name} holds it {counted(h)}" for name, h in halves.items()) + "."
        if all(len(set(h)) > 1 for name, h in halves.items() if name != aux) and len(set(halves.get(aux, []))) == 1:
            text += (" Without the auxiliary task the half that holds the digit changes with the seed: both encoders "
                     "read the whole image, and nothing in the model decides which half holds it.")
        return text
    if all(w != "z_g" for name, w in where.items() if name != aux):
        text += (" Without the auxiliary task nothing puts the digit in $z_g$: both encoders read the whole image, "
                 "and nothing in the model decides which half holds it.")
    return text


def settings_fig3(scores: dict[str, dict[str, Sequence[float]]]) -> str:
    """Experiment 1.2, beyond the paper: the mean decode accuracies of each setting (``scores``: setting -> decode
    -> one value per seed) and which of the paper's four bars (:func:`auxlib.claims.fig3_bars`) it misses."""
    parts = []
    for name, per_decode in scores.items():
        mean = {t: float(np.mean(v)) for t, v in per_decode.items()}
        missed = [bar for bar, ok in claims.fig3_bars(mean).items() if not ok]
        parts.append(f"{name}: (i) {mean['reconstruction']:.1%}, (ii) {mean['z_l resampled']:.1%}, "
                     f"(iii) {mean['z_g resampled']:.1%}, "
                     + ("meeting the paper's four bars" if not missed else "missing " + series(missed)))
    seeds = {len(v["reconstruction"]) for v in scores.values()}
    return f"Mean over {', '.join(map(str, sorted(seeds)))} seeds: " + "; ".join(parts) + "."


def beta_sweep(scores: dict[float, dict[str, Sequence[float]]], kl: dict[float, dict[str, float]]) -> str:
    """Experiment 1.2: the decode accuracies over the beta sweep (``scores``: beta -> decode -> values) and the
    nats in z_g and z_l at the end (``kl``: beta -> final loss row), and whether larger beta costs accuracy
    (:data:`auxlib.claims.BETA_COST`)."""
    betas = sorted(scores)

    def span(test: str) -> str:
        values = [float(np.mean(scores[b][test])) for b in betas]
        return f"{min(values):.1%} to {max(values):.1%}"

    parts = {part: [kl[b][part] for b in betas] for part in ("kl_g", "kl_l")}
    reconstruction = [float(np.mean(scores[b]["reconstruction"])) for b in betas]
    return (f"Over β from {betas[0]:g} to {betas[-1]:g}, the reconstructions are read correctly "
            f"{span('reconstruction')} of the time, the decodes that keep $z_g$ {span('z_l resampled')} and those that "
            f"keep $z_l$ {span('z_g resampled')}, while the information in $z_g$ falls from {max(parts['kl_g']):.0f} "
            f"to {min(parts['kl_g']):.0f} nats and in $z_l$ from {max(parts['kl_l']):.0f} to "
            f"{min(parts['kl_l']):.0f}. "
            + ("In this range, what β squeezes out is detail the classifier does not need to name the digit; the "
               "paper's drop in accuracy with β is not seen at this training budget."
               if max(reconstruction) - reconstruction[-1] < claims.BETA_COST else
               "Larger β costs accuracy, as the paper reports."))


def _uses(models: str, chosen: str, adopted: str | None, study: str) -> str:
    """Whether ``models`` train the setting a study chose: ``adopted`` is the setting they train, None for none."""
    if adopted is None:
        return f"{models} use none of the settings of {study}."
    if adopted == chosen:
        return f"{models} use the chosen setting, **{chosen}**."
    return f"{models} use another setting of {study}: {adopted}."


def decode_sweep_best(at_standard: pd.DataFrame, at_end: pd.DataFrame, best_standard: str, best_end: str,
                      limit: float, adopted: str | None) -> str:
    """Experiment 1.2: the sweep's best setting (:func:`auxlib.decode_sweep.best`, whose (iii) stays at most
    ``limit``) at the standard budget, against the baseline, and at the end of the runs (rows of
    :func:`auxlib.decode_sweep.table`); then which setting the chapter's models use (``adopted``, from
    :func:`auxlib.decode_sweep.setting_of`; None: none of them)."""
    row, base = at_standard.loc[best_standard], at_standard.loc["baseline"]
    text = (f"At the standard budget, the setting whose $z_g$-only decodes (ii) read best while (iii) stays at most "
            f"{limit:.0%} is **{best_standard}**: (i) {row['reconstruction']:.1%}, (ii) {row['z_l resampled']:.1%}, "
            f"(iii) {row['z_g resampled']:.1%}, against the baseline's {base['reconstruction']:.1%}, "
            f"{base['z_l resampled']:.1%} and {base['z_g resampled']:.1%}. At the end of the runs "
            f"({at_end.loc[best_end, 'step']:,} steps) it is **{best_end}**, with (ii) "
            f"{at_end.loc[best_end, 'z_l resampled']:.1%}. One seed per setting, on train images. ")
    return text + _uses("The models of this chapter", best_standard, adopted, "the sweep")


def decode_curve(record: Record, name: str, steps: Sequence[int]) -> str:
    """Experiment 1.2: the three decode scores of the run ``record`` of the setting ``name`` at each of ``steps``
    (its training-time scores on train images, :func:`auxlib.decode_sweep.scores_at`), and how much (ii) still
    gained over the last half of the run, in points."""
    rows = [scores_at(record, step) for step in steps]
    cells = "; ".join(f"{int(r['step']):,} steps: " + ", ".join(f"{r[d]:.1%}" for d in DECODES) for r in rows)
    half = scores_at(record, int(rows[-1]["step"]) // 2)
    gain = 100 * (rows[-1][DECODES[1]] - half[DECODES[1]])
    return (f"**{name}**, trained on, reads (i), (ii), (iii) on train images at {cells}. Over the second half of "
            f"the run, (ii) moved by {gain:+.1f} points.")


def extension(name: str, classifier: float, mean: dict[str, float], chance: float) -> str:
    """Experiment 1.2 on a second data set ``name``: its classifier's test accuracy and how well it reads each
    decode (``mean``, by decode)."""
    return (f"On {NAMES[name]} the classifier reaches {classifier:.1%} on the held-out test split. It reads "
            f"{mean['reconstruction']:.1%} of the reconstructions correctly, {mean['z_l resampled']:.1%} of the "
            f"decodes that keep $z_g$ and {mean['z_g resampled']:.1%} of those that keep $z_l$ (chance {chance:.1%}).")


# Experiment 2.1.
def table1(acc: Sequence[float], k: int, pixels_acc: float, checks: dict[str, bool], config: RunConfig) -> str:
    """Experiment 2.1: the AuxGMVAE's many-to-one ACC over seeds at ``k`` clusters against k-means on the pixels
    and the checks of :func:`auxlib.claims.table1_checks`; the budget of ``config`` (:func:`budget_note`) follows
    when one is missed."""
    text = (f"Over {len(acc)} seeds, the clusters of the AuxGMVAE reach a many-to-one ACC of "
            f"**{mean_std(acc)}** at $k = {k}$ on {NAMES[config.dataset]}, against {pixels_acc:.1%} for k-means on "
            "the raw pixels with as many clusters. Against the paper's figure on SVHN and the stricter aim:\n\n"
            + checklist(checks))
    return text if all(checks.values()) else f"{text}\n\n{budget_note(config, 'exp2')}"


def followed_factors(nmi: dict[str, float], kinds: dict[str, str], top: int = 3) -> str:
    """Experiment 2.1: the factors the clusters follow most closely (NMI with each factor, ``nmi``; ``kinds``
    names each factor global or local), and the digit label's NMI; empty without factors."""
    if not nmi:
        return ""
    leading = sorted(nmi, key=nmi.__getitem__, reverse=True)[:top]
    return ("The factors the clusters follow most closely are "
            + ", ".join(f"{name} ({kinds[name]}, NMI {nmi[name]:.2f})" for name in leading)
            + f"; the digit label has NMI {nmi['label']:.2f}.")


# Experiment 2.2.
def digit_clusters(purest: dict[int, tuple[int, float]], missing: Sequence[int]) -> str:
    """Experiment 2.2: the purest cluster of each digit (:func:`auxlib.metrics.purest_clusters`: digit ->
    (cluster, purity)), the digits no cluster is led by, and how many of these clusters stand for their digit
    (:data:`auxlib.claims.CLUSTER_STANDS_FOR`)."""
    if not purest:
        return "No cluster is led by any digit."
    listed = ", ".join(f"cluster {c} for {d} ({p:.0%} of its test images)" for d, (c, p) in purest.items())
    standing = sum(p >= claims.CLUSTER_STANDS_FOR for _, p in purest.values())
    total = len(purest)
    if standing == total:
        counted = "This cluster holds" if total == 1 else f"All {total} of these clusters hold"
    else:
        counted = f"{standing or 'None'} of these {total} clusters {'hold' if standing > 1 else 'holds'}"
    their = "their" if standing > 1 else "its"
    return (f"The purest cluster of each digit: {listed}"
            + (f"; no cluster is led by {series([str(d) for d in missing], 'or')}" if missing else "") + ". "
            + f"{counted} {their} digit in at least {claims.CLUSTER_STANDS_FOR:.0%} of {their} test images: "
            + ("the grids below show the digit's clusters." if standing == total else
               "the grids are titled by that share, and a grid whose share is low shows a cluster the digit only "
               "leads, not one that stands for it."))


def colour_by_part(down: float, along: float, grids: int) -> str:
    """Experiment 2.2: the colour spread of the decodes down a column of the grids (a new z_l) and along a row
    (a new z_g), averaged over ``grids`` grids (:func:`auxlib.metrics.grid_colour_spread`)."""
    return (f"How much the overall colour of a decode changes, as the standard deviation of its mean colour: "
            f"{down:.3f} down a column (a new $z_l$) against {along:.3f} along a row (a new $z_g$), averaged over the "
            f"{grids} grids; redrawing $z_l$ moves the colour {down / along:.1f} times as much.")


# The ablation of Experiment 2 (exp2_gap).
def ablation_best(scores: pd.DataFrame, chosen: str, has_factors: bool) -> str:
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
        groups[ablation.follows(row)].append(name)
    if len(groups["digit"]) == len(ends):
        return f"Every {what}'s clusters share more information with the digit than with polarity (NMI). "
    if len(groups["polarity"]) == len(ends):
        return f"Every {what}'s clusters share more information with polarity than with the digit (NMI). "
    said = {"digit": "share more information with the digit than with polarity (NMI)",
            "polarity": "follow polarity", None: f"follow neither (NMI below {ablation.NMI_FLOOR:g} with both)"}
    # the largest group last, as "the others" where naming it would repeat most of the table
    said_last = sorted((key for key in groups if groups[key]), key=lambda key: len(groups[key]))
    parts = [f"{'the clusters' if not i else 'those'} of {series([f'**{n}**' for n in groups[key]])} {said[key]}"
             for i, key in enumerate(said_last)]
    if len(said_last) > 1 and (len(groups[said_last[-1]]) > 1 or not groups[None]):
        parts[-1] = f"those of the others {said[said_last[-1]]}"
    text = "; ".join(parts)
    return f"{text[0].upper()}{text[1:]}. "


def rows_follow(rows: dict[str, tuple[int, list[dict[str, float]]]]) -> str:
    """Experiment 2.1: which rows of the clustering table (``rows``: name -> (k, one
    :func:`auxlib.metrics.clustering_scores` dict per run)) give clusters that share more information with the digit
    than with polarity, by the mean NMI over their runs (:func:`led_by`); empty where polarity is not recorded."""
    keys = ("nmi", "nmi_polarity")
    means = {name: {key: float(np.mean([s[key] for s in scores])) for key in keys if key in scores[0]}
             for name, (_, scores) in rows.items()}
    text = led_by(means, "row")
    return f"On the test split, by the mean over each row's runs: {_lower_first(text)}".strip() if text else ""


def long_budget(curves: dict[str, Record]) -> str:
    """Experiment 2.1: where the longer runs of exp2_gap (:func:`auxlib.ablation.curve_runs`, by name) end on train
    images: ACC, NMI with the digit and with polarity, then which follow the digit more (:func:`led_by`)."""
    ends = {name: r.scores[-1] for name, r in curves.items()}
    polarity = all("nmi_polarity" in row for row in ends.values())
    return ("; ".join(f"**{name}** reaches {row['acc']:.1%} ACC after {row['images']:,.0f} images (NMI with the "
                      f"digit {row['nmi']:.3f}" + (f", with polarity {row['nmi_polarity']:.3f})" if polarity else ")")
                      for name, row in ends.items())
            + ". " + led_by(ends)).strip()


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
            + " the paper's figure. " + _uses("[Experiment 2.1](exp2_1)'s models at this profile", chosen, adopted,
                                              "the ablation"))
