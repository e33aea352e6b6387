"""Beyond the paper: what puts local information (colour, polarity) in z_l.

The paper's claim has two halves (section 3.1, Fig. 2): global structure goes to z_g and local structure (colour,
brightness, texture) to z_l. Each setting below changes one thing from Experiment 1's standard AuxVAE (the
profile's: z = 128 + 128, the compact network, beta = 1, patch size 1), or combines changes; the settings marked
beyond the paper change the model itself. Every reading is taken on train images only:

- the MLP probe (:mod:`auxlib.probes`) fitted on the codes of some train images and scored on others, by factor
  group (:func:`auxlib.placement.group_scores`) and for the factors the targets name (:data:`TARGETS`);
- the Fig. 2 grids: how many times as much drawing z_l again moves each image's mean luma and chroma as drawing
  z_g again (:func:`auxlib.fig2.ratios`);
- Experiment 1.2's decodes (i)-(iii), scored during training by the data chapter's classifier.

The module also holds the chapter's bars for its instruments and the sentences it prints (the last section).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
import torch

from ..analysis import latents, probes
from ..checks import one_of
from ..data import ImageSet, to_tensor
from ..model.config import RunConfig
from ..model.models import AuxVAE
from ..training.store import Record, Run
from . import claims, fig2, placement
from .decode_sweep import DECODES, MAX_Z_G_RESAMPLED, scores_at
from .profiles import PROFILE_NAMES, PROFILES, experiment
from .tables import series

#: Settings of the paper's method, one change at a time from the standard profile's AuxVAE. A budget (``steps``)
#: is the standard profile's, and scales with the profile's own (:func:`overrides`).
PAPER_METHOD: dict[str, dict[str, Any]] = {
    "standard": {},
    "β = 4": dict(beta=4.0),
    "β = 10": dict(beta=10.0),
    "β = 40 ([SPLIT]'s)": dict(beta=40.0),
    "β_g = 4": dict(beta_g=4.0),
    "β_g = 10": dict(beta_g=10.0),
    "z = 32 + 32": dict(z_g=32, z_l=32),
    "z = 64 + 64": dict(z_g=64, z_l=64),
    "10,000 steps": dict(steps=10_000),
    # the paper profile's network at the authors' initialisation (Glorot) and learning rate (1e-4), for longer
    "[SPLIT]'s network, 20,000 steps": dict(arch="split", init="glorot", lr=1e-4, steps=20_000),
}
#: Settings beyond the paper: the model changes, each from the standard profile's AuxVAE, then combined.
BEYOND: dict[str, dict[str, Any]] = {
    "FiLM decoder": dict(decoder="film"),
    "z_g sees luma": dict(global_input="luma"),
    "z_g sees luma, polarity removed": dict(global_input="luma-aligned"),
    "FiLM decoder + z_g sees luma, polarity removed": dict(decoder="film", global_input="luma-aligned"),
}
#: The factors the targets name, with the part each belongs to and the bars: read from its own part at or above
#: ``own``, from the other at or below ``other`` (chance-rescaled MLP probe scores).
TARGETS: dict[str, dict[str, Any]] = {
    "label": dict(part="z_g", own=0.8, other=0.1),
    **{f: dict(part="z_l", own=0.8, other=0.3) for f in (
        "polarity", "bg_color", "bg_color red-green", "bg_color yellow-blue",
        "fg_color", "fg_color red-green", "fg_color yellow-blue")},
}
#: A probe finds a factor a code holds when it scores at least this on it (:func:`auxlib.probes.known_answers`).
PROBE_FINDS = 0.9
#: ...and finds nothing where the code holds nothing when its score is at most this in size.
PROBE_NOISE = 0.1
#: The MLP probe agrees with the decode classifier when its raw digit accuracy from z_g is no more than this many
#: points below the classifier's (ii).
PROBE_CLASSIFIER_POINTS = 5.0
#: The settings Experiment 1.1 shows beside the standard one: what :func:`picks` chooses on train images over
#: three seeds in the local chapter, which checks that it still does.
SHOWN: dict[str, str] = {"paper's method": "[SPLIT]'s network, 20,000 steps", "all": "z_g sees luma"}


def changes() -> dict[str, dict[str, Any]]:
    """Every setting of the study as overrides of the standard profile's AuxVAE, by name."""
    return {**PAPER_METHOD, **BEYOND}


def overrides(name: str, profile: str) -> dict[str, Any]:
    """The overrides of the study's setting ``name`` (:func:`changes`) at ``profile``: a budget is written for the
    standard profile and scales by the profile's Experiment 1 budget over the standard one's, so that a setting
    that trains longer stays a short run at the quick profile. Raises ValueError for a name that is not a
    setting of the study, or a profile that is not one."""
    one_of("name", name, changes())
    one_of("profile", profile, PROFILE_NAMES)
    values = dict(changes()[name])
    if "steps" in values:
        budgets = PROFILES["exp1"]
        values["steps"] = max(1, round(values["steps"] * budgets[profile]["steps"] / budgets["standard"]["steps"]))
    return values


def runs(profile: str, dataset: str, seed: int = 0, setting_names: list[str] | None = None
         ) -> dict[str, RunConfig]:
    """The run config of every setting of :func:`changes` (or of ``setting_names``, after "standard", which every
    setting is compared with), by name: Experiment 1's AuxVAE at ``profile`` with the setting's overrides, scored
    during training by the profile's classifier. Raises ValueError for a name that is not a setting of the study."""
    settings = changes()
    unknown = sorted(set(setting_names or []) - set(settings))
    if unknown:
        raise ValueError(f"setting_names must be settings of the study ({', '.join(settings)}), got {unknown}.")
    return {name: experiment("exp1", profile, dataset=dataset, seed=seed, **overrides(name, profile))
            for name in dict.fromkeys(["standard", *(settings if setting_names is None else setting_names)])}


def probe_curve(model: AuxVAE, fit: ImageSet, held: ImageSet, sizes: Sequence[int], factor: str = "label",
                part: str = "z_g", seed: int = 0) -> pd.Series:
    """The MLP probe's raw accuracy for ``factor`` from ``part`` on the codes of ``held``, fitted on the first n
    images of ``fit`` for each n of ``sizes`` (at most ``len(fit)``): how much a probe's reading rests on the
    number of images it is fitted on. Indexed by n."""
    if not sizes or any(not isinstance(n, int) or not 0 < n <= len(fit) for n in sizes):
        raise ValueError(f"sizes must be positive integers up to {len(fit)}, the images of fit, got {list(sizes)}.")
    rng = torch.Generator().manual_seed(seed)
    both = {name: latents.codes(model, to_tensor(d.images), "both", rng) for name, d in (("fit", fit), ("held", held))}
    z_g = model.config.z_g
    codes = {name: c[:, :z_g] if part == "z_g" else c[:, z_g:] for name, c in both.items()}
    values = placement.factor_table(fit)[factor], placement.factor_table(held)[factor]
    return pd.Series({n: probes.probe_score(codes["fit"][:n], values[0][:n], codes["held"], values[1], "mlp", seed).raw
                      for n in sizes}, name=f"{factor} from {part}")


def readout(model: AuxVAE, record: Record | Run, fit: ImageSet, held: ImageSet, seed: int = 0, grids: int = 5
            ) -> dict[str, Any]:
    """Everything the study reads from one trained run, on train images only (``fit`` and ``held`` are disjoint
    sets of train images): the MLP probe's :func:`auxlib.placement.measure` result (``"probes"``), its group
    scores (``"groups"``), :func:`auxlib.fig2.ratios` over ``grids`` pairs (``"fig2"``) and the decode scores at the end
    of training (``"decodes"``)."""
    measured = placement.measure(model, fit, held, probes=["mlp"], seed=seed)
    return {"probes": measured, "groups": placement.group_scores(measured["matrix"]["mlp"]),
            "fig2": fig2.ratios(model, grids, seed=seed), "decodes": {d: scores_at(record)[d] for d in DECODES}}


def readouts(runs: dict[str, Run], fit: ImageSet, held: ImageSet, seed: int = 0, grids: int = 5
             ) -> dict[str, dict[str, Any]]:
    """:func:`readout` of each trained run, by name: the rows :func:`table` makes its table of."""
    return {name: readout(run.model, run, fit, held, seed, grids) for name, run in runs.items()}


def table(readouts: dict[str, dict[str, Any]]) -> pd.DataFrame:
    """One row per setting: the group scores, the target factors' scores from z_g and z_l, the Fig. 2 ratios
    and the decode scores (i)-(iii)."""
    rows = {}
    for name, r in readouts.items():
        matrix = r["probes"]["matrix"]["mlp"]
        row = {f"S {group}": v for group, v in r["groups"].items()}
        row.update({f"{f} from {p}": matrix[f][p] for f in TARGETS if f in matrix for p in ("z_g", "z_l")})
        row.update({f"z_l/z_g {view}": v for view, v in r["fig2"].items()})
        row.update(r["decodes"])
        rows[name] = row
    return pd.DataFrame(rows).T


def keeps_split(row: pd.Series) -> bool:
    """Whether a setting keeps Experiment 1.2's split (one row of :func:`table`): the classifier reads the digit
    from decodes that keep z_g ((ii)) at least at the digit target's bar (:data:`TARGETS`), and from decodes
    that keep only z_l ((iii)) at most :data:`auxlib.decode_sweep.MAX_Z_G_RESAMPLED`."""
    return bool(row[DECODES[1]] >= TARGETS["label"]["own"] and row[DECODES[2]] <= MAX_Z_G_RESAMPLED)


def targets_met(row: pd.Series) -> dict[str, bool]:
    """Which of the study's targets one setting meets (one row of :func:`table`, or its mean over seeds): each
    factor of :data:`TARGETS`, and the Fig. 2 ratios in luma and in chroma (at least :data:`auxlib.fig2.RATIO`)."""
    met = {}
    for factor, bar in TARGETS.items():
        other = "z_l" if bar["part"] == "z_g" else "z_g"
        met[factor] = bool(row[f"{factor} from {bar['part']}"] >= bar["own"]
                           and row[f"{factor} from {other}"] <= bar["other"])
    met.update({f"Fig. 2 {view}": bool(row[f"z_l/z_g {view}"] >= fig2.RATIO) for view in ("luma", "chroma")})
    return met


def met_table(table_: pd.DataFrame) -> pd.DataFrame:
    """One row per setting of :func:`table`, one boolean column per target of :func:`targets_met`."""
    return pd.DataFrame({name: targets_met(row) for name, row in table_.iterrows()}).T.astype(bool)


def best(table_: pd.DataFrame) -> str | None:
    """The setting (a row of :func:`table`) that meets the most targets (:func:`targets_met`) among those that
    keep Experiment 1.2's split (:func:`keeps_split`), ties going to the higher colour group score; None when
    no setting keeps the split."""
    kept = [name for name, row in table_.iterrows() if keeps_split(row)]
    if not kept:
        return None
    return max(kept, key=lambda n: (sum(targets_met(table_.loc[n]).values()), table_.loc[n, "S colour"]))


def picks(table_: pd.DataFrame) -> dict[str, str | None]:
    """What :func:`best` chooses among the settings of ``table_`` (``"all"``) and among those of the paper's
    method alone (``"paper's method"``, :data:`PAPER_METHOD`); None where no setting keeps the split."""
    return {"all": best(table_), "paper's method": best(table_.loc[[n for n in table_.index if n in PAPER_METHOD]])}


def target_table(table_: pd.DataFrame, met: pd.DataFrame) -> pd.DataFrame:
    """The targets' factors as "score from z_g / score from z_l" per setting (rows of ``met``), marked ✓ where
    the target is met, with the Fig. 2 ratios' marks: the study's verdict at a glance."""
    cells = {f: [f"{table_.loc[n, f'{f} from z_g']:.2f} / {table_.loc[n, f'{f} from z_l']:.2f}"
                 + (" ✓" if met.loc[n, f] else "") for n in met.index] for f in TARGETS}
    cells.update({c: ["✓" if met.loc[n, c] else "" for n in met.index] for c in met.columns if c not in TARGETS})
    return pd.DataFrame(cells, index=met.index)


# The chapter's sentences.
def probes_checked(table: pd.DataFrame) -> str:
    """The probes' check: what each probe reads from codes that hold a factor linearly,
    nonlinearly and not at all (:func:`auxlib.probes.known_answers`), and which probes pass all three."""
    right = {p: table.loc["linearly", p] >= PROBE_FINDS and abs(table.loc["not at all", p]) <= PROBE_NOISE
             and table.loc["nonlinearly", p] >= PROBE_FINDS for p in table.columns}
    passed = [p for p, ok in right.items() if ok]
    text = (f"Every probe reads the factor held linearly at {table.loc['linearly'].min():.2f} or more, and the one "
            f"not held at all at {table.loc['not at all'].abs().max():.2f} or less in size. Of the rings, "
            + ", ".join(f"the {p} probe reads {table.loc['nonlinearly', p]:.2f}" for p in table.columns) + ". ")
    if not passed:
        return text + "No probe passes all three: the probe scores below cannot carry a conclusion."
    return text + (f"Only the {series(passed)} {'probe finds' if len(passed) == 1 else 'probes find'} a factor "
                   "in whatever shape a code holds it, beside inactive units; the readings below use the MLP probe."
                   if "mlp" in passed else "The MLP probe, which the readings below use, fails one of them: "
                   "they understate or overstate what the codes hold.")


def probe_against_classifier(curve: pd.Series, decodes: dict[str, float], used: int) -> str:
    """The probes against the decode classifier on the standard AuxVAE: the MLP probe's raw accuracy for the
    digit from z_g by the number of images it is fitted on (``curve``, from :func:`probe_curve`), against the
    classifier's reading of decodes that keep only z_g ((ii)); ``used`` is the number the chapter's readings fit
    the probes on."""
    kept = decodes[DECODES[1]]
    text = ("From $z_g$ alone the MLP probe names the digit of held-out train images at "
            + ", ".join(f"{v:.1%} when fitted on {n:,} images" for n, v in curve.items())
            + f"; the classifier names it in {kept:.1%} of the decodes that keep only $z_g$ (Experiment 1.2's (ii), "
            f"train images) and {decodes[DECODES[0]]:.1%} of the reconstructions. ")
    most = curve.index.max()
    agree = 100 * (curve[most] - kept) >= -PROBE_CLASSIFIER_POINTS
    text += (f"Fitted on {most:,} images the probe finds what the decodes show, within "
             f"{PROBE_CLASSIFIER_POINTS:g} points. " if agree else
             f"Even fitted on {most:,} images the probe misses {100 * (kept - curve[most]):.1f} points of what the "
             "classifier reads. ")
    if used in curve.index and 100 * (kept - curve[used]) > PROBE_CLASSIFIER_POINTS:
        text += (f"The readings below fit the probes on {used:,} images, where the probe understates the digit by "
                 f"{100 * (kept - curve[used]):.1f} points: they are lower bounds of what each part holds.")
    return text


def _targets(row: pd.Series) -> str:
    """Which targets one row of a met table meets, as "meets a, b (2 of 10 targets)"."""
    listed = (f"meets {series(row.index[row.values]) or 'none'}" if row.sum() <= len(row) / 2 else
              f"misses {series(row.index[~row.values])}")
    return f"{listed} ({int(row.sum())} of {len(row)} targets)"


def _decodes(table: pd.DataFrame, name: str) -> str:
    return " / ".join(f"{table.loc[name, d]:.1%}" for d in DECODES)


def screen_verdict(met: pd.DataFrame, table: pd.DataFrame, chosen: str | None, paper_pick: str | None) -> str:
    """The screen: which settings meet every target (:func:`met_table`), the targets no setting meets, the
    settings that lose Experiment 1.2's split (:func:`keeps_split`), and the settings :func:`best` chooses among
    all (``chosen``) and within the paper's method (``paper_pick``; None where no setting keeps the split), with
    their colour scores and Fig. 2 ratios beside the standard setting's."""
    full = [name for name, row in met.iterrows() if row.all()]
    text = f"Of the {len(met)} settings, " + (f"{series(full)} {'meets' if len(full) == 1 else 'meet'} every "
                                              "target. " if full else "none meets every target. ")
    never = [t for t, c in met.sum(axis=0).items() if c == 0]
    if never:
        text += f"No setting meets the target{'s' if len(never) > 1 else ''} of {series(never)}. "
    lost = [f"{name} ((ii) {table.loc[name, DECODES[1]]:.1%}, (iii) {table.loc[name, DECODES[2]]:.1%})"
            for name in met.index if not keeps_split(table.loc[name])]
    text += ("The rule chooses the setting that meets the most targets among those that keep Experiment 1.2's "
             f"split (the digit read from decodes that keep $z_g$, (ii), at {TARGETS['label']['own']:.0%} or more, "
             f"and from decodes that keep only $z_l$, (iii), at {MAX_Z_G_RESAMPLED:.0%} or less), ties going to the "
             "higher colour score. ")
    if lost:
        text += (f"{lost[0]} loses the split and is left out. " if len(lost) == 1 else
                 f"{len(lost)} settings lose the split and are left out: {'; '.join(lost)}. ")
    if chosen is None:
        return text + "No setting keeps the split: none is chosen."
    said = {chosen: "among all settings"}
    if paper_pick is not None and paper_pick != chosen:
        said[paper_pick] = "within the paper's method"
    for name, where in said.items():
        text += (f"It chooses **{name}** {where}, which {_targets(met.loc[name])}: colour group score "
                 f"{table.loc[name, 'S colour']:.2f}, drawing $z_l$ again moves luma "
                 f"{table.loc[name, 'z_l/z_g luma']:.1f} and chroma {table.loc[name, 'z_l/z_g chroma']:.1f} times as "
                 f"much as drawing $z_g$ again, (i)-(iii) {_decodes(table, name)}. ")
    return text + (f"The standard setting: {table.loc['standard', 'S colour']:.2f}, "
                   f"{table.loc['standard', 'z_l/z_g luma']:.1f} and {table.loc['standard', 'z_l/z_g chroma']:.1f} "
                   f"times, {_decodes(table, 'standard')}.")


def seeds_verdict(mean: pd.DataFrame, sd: pd.DataFrame, seeds: Sequence[int]) -> str:
    """The settings that decide, held to several ``seeds``: each setting's colour group score,
    Fig. 2 ratios and decodes as mean ± standard deviation (:func:`auxlib.tables.over_seeds`), the targets
    its means meet, and whether its colour score differs from the standard setting's by more than the seeds'
    noise (:func:`auxlib.claims.settled`)."""
    met = met_table(mean)
    text = f"Over {len(seeds)} seeds ({', '.join(map(str, seeds))}), as mean ± standard deviation: "
    parts = []
    for name in mean.index:
        m, s = mean.loc[name], sd.loc[name]
        part = (f"**{name}** has a colour group score of {m['S colour']:.2f} ± {s['S colour']:.2f}, Fig. 2 ratios of "
                f"{m['z_l/z_g luma']:.1f} ± {s['z_l/z_g luma']:.1f} (luma) and {m['z_l/z_g chroma']:.1f} ± "
                f"{s['z_l/z_g chroma']:.1f} (chroma), (i)-(iii) {_decodes(mean, name)}, and on its means it "
                f"{_targets(met.loc[name])}")
        if name != "standard" and "standard" in mean.index:
            gap = m["S colour"] - mean.loc["standard", "S colour"]
            spread = max(s["S colour"], sd.loc["standard", "S colour"])
            part += (f"; its colour score is {abs(gap):.2f} {'above' if gap > 0 else 'below'} the standard's, "
                     + ("more than" if claims.settled(abs(gap), spread) else "not more than")
                     + f" {claims.SETTLE_FACTOR:g} times the larger standard deviation")
        parts.append(part)
    return text + "; ".join(parts) + "."


def shown_verdict(chosen: dict[str, str | None], shown: dict[str, str], seeds: int) -> str:
    """What :func:`picks` chooses on the means over ``seeds`` seeds (``chosen``), against the settings the book
    sets beside the standard one (``shown``, :data:`SHOWN`), by the same keys ("paper's method", "all")."""
    where = {"paper's method": "within the paper's method", "all": "among all settings"}
    said = [f"**{chosen[k]}** {where[k]}" if chosen[k] else f"no setting {where[k]}" for k in where]
    text = f"On the means over {seeds} seeds the rule chooses {' and '.join(said)}. "
    if all(chosen[k] == shown[k] for k in where):
        return text + "These are the settings [Experiment 1.1](exp1_1) shows beside the standard one."
    differ = [f"{shown[k]} {where[k]}" for k in where if chosen[k] != shown[k]]
    return text + (f"[Experiment 1.1](exp1_1) shows {series(differ)} (`auxlib.local_sweep.SHOWN`), which "
                   "these readings do not choose.")
