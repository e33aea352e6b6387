"""The reproduction at a glance: every claim of the paper with a verdict read from the chapters' results files
(:func:`claims`; numbers by :func:`against_paper`, figures by the measure their chapter records, with the bars of
:mod:`auxlib.claims`, :mod:`auxlib.fig2` and :mod:`auxlib.ablation`; the claims the local study addresses also for
the setting it chooses within the paper's method), and every way this book departs from the paper and from
[SPLIT]'s code (:func:`deviations`). A synth-svhn measurement counts: its dataset column says so.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from ..data import DIGITS, NAMES
from . import book_parameters
from . import claims as bars
from .ablation import NMI_FLOOR, follows
from .fig2 import LEGIBLE_KNOWN, LEGIBLE_OF_TEST, RATIO
from .local_sweep import SHOWN
from .paper import PAPER, TOLERANCE, agrees
from .profiles import PROFILES, auxgmvae, auxvae, classifier
from .results import load_if_present
from .tables import series

VERDICTS = ("reproduced", "exceeded", "partly", "not reproduced", "not testable here")
REPRODUCED, EXCEEDED, PARTLY, NOT_REPRODUCED, NOT_TESTABLE = VERDICTS
#: Which way a number may pass the paper's and still support the claim; "chance": the claim is accuracy at chance.
DIRECTIONS = ("higher", "lower", "chance")
#: The factors of the claims in the text: colour scheme and brightness (Fig. 2's caption) belong in z_l; the
#: global style the paper names, orientation and stroke width (section 3.2.2), in z_g.
COLOUR_FACTORS = ("polarity", "bg_color", "fg_color")
STYLE_FACTORS = ("rotation", "stroke")


def against_paper(ours: float, paper: float, direction: str = "higher", spread: float = 0.0,
                  chance: float | None = None) -> str:
    """A measured fraction against the paper's: "reproduced" when they agree (:func:`auxlib.paper.agrees`: within
    TOLERANCE or twice ``spread``, the std over runs), "exceeded" when past ``paper`` in ``direction``, else "not
    reproduced". For "chance" the claim is accuracy at ``chance`` (the commonest label's share): "reproduced" when
    ``ours`` agrees with it; nothing is past chance. Raises ValueError for a direction not in :data:`DIRECTIONS`
    or "chance" without ``chance``."""
    if direction not in DIRECTIONS or (direction == "chance" and chance is None):
        raise ValueError(f"direction must be one of {', '.join(DIRECTIONS)} (chance with a chance level), got "
                         f"{direction!r} with chance {chance!r}.")
    if direction == "chance" and chance is not None:
        return REPRODUCED if agrees(ours, chance, spread) else NOT_REPRODUCED
    if agrees(ours, paper, spread):
        return REPRODUCED
    return EXCEEDED if (ours > paper) == (direction == "higher") else NOT_REPRODUCED


def at_least(value: float, bar: float) -> str:
    """"reproduced" when ``value`` reaches ``bar``, else "not reproduced": for claims the paper makes in words."""
    return REPRODUCED if value >= bar else NOT_REPRODUCED


def combine(*verdicts: str) -> str:
    """One verdict for a claim of several parts: theirs when they agree, "reproduced" when each is reproduced or
    exceeded, else "partly"; parts "not testable here" are left out (when all are, that)."""
    known = [v for v in verdicts if v != NOT_TESTABLE]
    if len(set(known)) <= 1:
        return known[0] if known else NOT_TESTABLE
    return REPRODUCED if set(known) <= {REPRODUCED, EXCEEDED} else PARTLY


def fig2_colour(ratios: dict[str, float]) -> str:
    """Fig. 2's colour half, from how many times as much drawing z_l again moves the images' mean "luma" and
    "chroma" as drawing z_g again (:func:`auxlib.fig2.ratios`): both at least
    :data:`auxlib.fig2.RATIO`, "reproduced"; one, "partly"."""
    return combine(*(at_least(ratios[view], RATIO) for view in ("luma", "chroma")))


def table1_claims() -> dict[str, dict[str, Any]]:
    """The rows of Table 1 (:data:`auxlib.paper.PAPER`) that are claims of the paper: its own model's, many-to-one
    ACC ("acc"). DEC, IMSAT and ACOL + GAR are baselines it cites: matching one reproduces nothing (DEC failed)."""
    return {method: row for method, row in PAPER["exp2_1"].items() if "acc" in row}


def budget(group: str, profile: str) -> str:
    """The training steps of ``group``'s runs (an entry of :data:`auxlib.profiles.PROFILES`: "exp1", "exp2",
    "classifier") at ``profile``, and their share of the ``paper`` profile's, as a percentage."""
    steps, paper_steps = PROFILES[group][profile]["steps"], PROFILES[group]["paper"]["steps"]
    return f"{steps:,} steps ({steps / paper_steps:.2%} of the paper profile's {paper_steps:,})"


class Measured(NamedTuple):
    dataset: str
    seeds: int  # the runs the measure is taken over
    ours: str
    verdict: str


Results = dict[str, Any]
#: A claim's measure from its chapter's results; a claim that is ``by_setting`` takes a setting's name too.
Measure = Callable[..., Measured]
_F3 = PAPER["exp1_2"]
_PAPER_GAP = _F3["z_l resampled"] - _F3["z_g resampled"]


def _against(values: Callable[[Results], Any], reported: float, direction: str = "higher", paper_std: float = 0.0,
             partly: Callable[[float], bool] | None = None) -> Measure:
    """The mean over runs of ``values`` against the paper's ``reported`` (:func:`against_paper`), "partly" where
    it is not reproduced but ``partly`` holds of it."""
    def measure(r: Results) -> Measured:
        v = values(r)
        mean, std = float(np.mean(v)), float(np.std(v))
        chance = r["chance"] if direction == "chance" else None
        verdict = against_paper(mean, reported, direction, max(std, paper_std), chance)
        verdict = PARTLY if verdict == NOT_REPRODUCED and partly and partly(mean) else verdict
        ours = f"{mean:.1%}" + (f" ± {std:.1%}" if len(v) > 1 else "")
        ours += "" if chance is None else f", chance {chance:.1%}"
        return Measured(r.get("findings", r)["dataset"], len(v), ours, verdict)
    return measure


def _legible(shares: dict[str, float], shown: str, reference: str) -> str:
    """Experiment 1.1's rule (:func:`auxlib.fig2.legible_verdict`): ``shown`` read with confidence at least
    LEGIBLE_OF_TEST times as often as ``reference``; untestable when the classifier fails its known answer."""
    if shares["test images"] < LEGIBLE_KNOWN:
        return NOT_TESTABLE
    return at_least(shares[shown], LEGIBLE_OF_TEST * shares[reference])


def _exp1_1(panel: str, digits: bool) -> Measure:
    """exp1_1's ``setting`` (by default the standard one) on its digit data set (``digits``) or on CIFAR-10: the
    Fig. 2 panel that draws ``panel`` ("z_l", "z_g") again, Fig. 1b's reconstructions ("rec") or whether they are
    blurred ("blur")."""
    def measure(r: Results, setting: str = "standard") -> Measured:
        name = next((d for d in r["datasets"] if (d in DIGITS) == digits), None)
        if name is None:
            raise KeyError(f"a {'digit' if digits else 'CIFAR-10'} data set")
        ratios, shares = (r[f"fig2_{kind}"][f"{NAMES[name]} / {setting}"] for kind in ("spreads", "legible"))
        ratios, read = ratios["z_l / z_g"], {k: f"{v:.0%}" for k, v in shares.items()}
        colour = f"z_l/z_g spread: luma {ratios['luma']:.1f}×, chroma {ratios['chroma']:.1f}×"
        if panel in ("rec", "blur"):
            legible = _legible(shares, "reconstructions", "test images")
            unread = {REPRODUCED: NOT_REPRODUCED, NOT_REPRODUCED: REPRODUCED}.get(legible, legible)
            return Measured(name, 1, f"read with confidence: {read['reconstructions']} of reconstructions, "
                            f"{read['test images']} of test images", legible if panel == "rec" else unread)
        if panel == "z_g" and digits:
            return Measured(name, 1, f"{read['z_g drawn']} of z_g-drawn decodes read with confidence, "
                            f"{read['reconstructions']} of reconstructions; {colour}",
                            combine(_legible(shares, "z_g drawn", "reconstructions"), fig2_colour(ratios)))
        return Measured(name, 1, colour, fig2_colour(ratios))
    return measure


def _reaches(value: Callable[[Results], float], bar: float, says: str) -> Measure:
    """One number of a chapter (``value``, written by ``says``, which may name it ``{points}``: 100 times it) held
    to a ``bar`` (:func:`at_least`)."""
    return lambda r: Measured(r["dataset"], 1, says.format(value(r), points=100 * value(r)), at_least(value(r), bar))


def _beta_cost(r: Results) -> float:
    by_beta = {float(b): s["scores"]["reconstruction"]["mean"] for b, s in r["beta_sweep"].items()}
    return max(by_beta.values()) - by_beta[max(by_beta)]


def _purity(r: Results) -> float:
    # a digit that leads no cluster has no cluster that mainly represents it: it counts as purity 0
    return float(np.mean([c["purity"] for c in r["digit_clusters"].values()] + [0.0] * len(r["missing_digits"])))


def _cluster_nmi(r: Results) -> tuple[dict[str, float], dict[str, str], int]:
    """exp2_1's AuxGMVAE at the chapter's k, over its seeds: the mean NMI of the clusters with the digit ("nmi") and
    with polarity ("nmi_polarity"), each also written as mean ± std, and the number of runs."""
    runs = r["findings"]["auxgmvae"][str(r["config"]["model"]["k"])]  # JSON keys are strings
    values = {m: [s[m] for s in runs] for m in ("nmi", "nmi_polarity")}
    said = {m: f"{np.mean(v):.3f}" + (f" ± {np.std(v):.3f}" if len(v) > 1 else "") for m, v in values.items()}
    return {m: float(np.mean(v)) for m, v in values.items()}, said, len(runs)


def _fig4(r: Results) -> Measured:
    """exp2_1's clusters, over its seeds: their mean NMI with the digit against polarity
    (:func:`auxlib.ablation.follows`)."""
    mean, said, runs = _cluster_nmi(r)
    followed = follows(mean)
    return Measured(r["dataset"], runs, f"NMI with the digit {said['nmi']}, with polarity {said['nmi_polarity']}: "
                    f"they follow {followed or 'neither'}", REPRODUCED if followed == "digit" else NOT_REPRODUCED)


def _fig6_polarity(r: Results) -> Measured:
    """exp2_1's clusters, over its seeds: their mean NMI with polarity held to :data:`auxlib.ablation.NMI_FLOOR`."""
    mean, said, runs = _cluster_nmi(r)
    return Measured(r["dataset"], runs, f"NMI {said['nmi_polarity']}", at_least(mean["nmi_polarity"], NMI_FLOOR))


def _placed(factors: tuple[str, ...], part: str) -> Measure:
    """local's MLP probes of its ``setting`` (by default the standard one), on its first seed: where each factor
    lives (:func:`auxlib.claims.location`)."""
    def measure(r: Results, setting: str = "standard") -> Measured:
        where = {f: bars.location(r["readouts"][setting]["probes"]["matrix"]["mlp"][f]) for f in factors}
        return Measured(r["dataset"], 1, ", ".join(f"{f}: {w}" for f, w in where.items()),
                        combine(*(REPRODUCED if w == part else NOT_REPRODUCED for w in where.values())))
    return measure


class Claim(NamedTuple):
    id: str
    claim: str
    chapter: str
    measure: str
    paper: str
    rule: str
    measured: Measure
    group: str | None = None  # the PROFILES entry of its runs; None: its chapter's (CHAPTERS)
    by_setting: bool = False  # its chapter also measures it for the settings of local_sweep.SHOWN


#: Each chapter that measures claims: the PROFILES entry of its runs and the split its measures are taken on.
CHAPTERS = {"exp1_1": ("exp1", "test images; prior draws"), "exp1_2": ("exp1", "test"), "exp2_1": ("exp2", "test"),
            "exp2_2": ("exp2", "test; prior draws"), "local": ("exp1", "train (probes fit, scored on other images)")}
_FIGURE, _WORDS = "figure, no number", "in words, no number"
_ABOVE = f"within {TOLERANCE:.0%} (or 2 std) of the paper: reproduced; above it: exceeded"
_LEGIBLE = f"read with confidence ≥ {LEGIBLE_OF_TEST:.0%} as often as the {{}}"
_RATIO = f"z_l/z_g ≥ {RATIO:g} in luma and chroma: reproduced; in one: partly"
_SPREAD, _NMI = "colour spread of z_l-drawn vs z_g-drawn grids", f"NMI ≥ {NMI_FLOOR:g}"
_PLACED = "claims.location of each: all in {}: reproduced; some: partly"


def _decodes(name: str) -> Callable[[Results], Any]:
    return lambda r: r["findings"]["decodes"][name]


def _acc(k: int) -> Callable[[Results], list[float]]:
    return lambda r: [s["acc"] for s in r["findings"]["auxgmvae"][str(k)]]  # JSON keys are strings


def _gap(r: Results) -> Any:
    return np.subtract(_decodes("z_l resampled")(r), _decodes("z_g resampled")(r))


CLAIMS: tuple[Claim, ...] = (
    Claim("fig1b", "Fig. 1b: the VAE reconstructs the images", "exp1_1", "confident reads of reconstructions (the "
          "x^ decoder is not measured)", _FIGURE, _LEGIBLE.format("test images"), _exp1_1("rec", True)),
    Claim("fig2a", "Fig. 2a: on SVHN, drawing z_l changes colours and brightness", "exp1_1", _SPREAD, _FIGURE,
          _RATIO, _exp1_1("z_l", True), by_setting=True),
    Claim("fig2b", "Fig. 2b: on SVHN, z_g dictates the digit and style, colour unchanged", "exp1_1", "legible digits"
          " where z_g is drawn; " + _SPREAD, _FIGURE, f"both: {_LEGIBLE.format('reconstructions')}, and {_RATIO}",
          _exp1_1("z_g", True), by_setting=True),
    Claim("fig2c", "Fig. 2c: on CIFAR-10, drawing z_l changes colours and brightness", "exp1_1", _SPREAD, _FIGURE,
          _RATIO, _exp1_1("z_l", False), by_setting=True),
    Claim("fig2d", "Fig. 2d: on CIFAR-10, z_g holds the global structure, colour unchanged", "exp1_1", _SPREAD
          + " (global structure is not measured)", _FIGURE, _RATIO, _exp1_1("z_g", False), by_setting=True),
    Claim("cifar-blurry", "CIFAR-10 samples are blurry, their objects hard to identify", "exp1_1", "confident reads "
          "of reconstructions", _WORDS, "not " + _LEGIBLE.format("test images"), _exp1_1("blur", False)),
    Claim("fig3-classifier", "Fig. 3: the classifier reads real test images", "exp1_2", "held-out test accuracy",
          f"{_F3['classifier']:.0%}", _ABOVE, _against(lambda r: [r["findings"]["classifier_accuracy"]],
                                                       _F3["classifier"]), "classifier"),
    Claim("fig3-i", "Fig. 3 (i): reconstructions keep the digit", "exp1_2", "accuracy on reconstructions",
          f"{_F3['reconstruction']:.0%}", _ABOVE, _against(_decodes("reconstruction"), _F3["reconstruction"])),
    Claim("fig3-ii", "Fig. 3 (ii): a new z_l keeps the digit", "exp1_2", "accuracy with z_l resampled",
          f"{_F3['z_l resampled']:.0%}", _ABOVE, _against(_decodes("z_l resampled"), _F3["z_l resampled"])),
    Claim("fig3-iii", "Fig. 3 (iii): a new z_g loses the digit (chance)", "exp1_2", "accuracy with z_g resampled",
          f"{_F3['z_g resampled']:.0%} (chance)", f"within {TOLERANCE:.0%} (or 2 std) of chance: reproduced",
          _against(_decodes("z_g resampled"), _F3["z_g resampled"], "chance")),
    Claim("beta-cost", "Larger β blurs reconstructions and lowers accuracy", "exp1_2", "accuracy of (i) over the β "
          "sweep (blur is not measured)", _WORDS, f"(i) ≥ {bars.BETA_COST:.0%} below its best at the largest β",
          _reaches(_beta_cost, bars.BETA_COST, "(i) falls {points:.1f} points from its best")),
    Claim("digit-in-z_g", "The digit is in z_g: the gap (ii) − (iii)", "exp1_2", "gap (ii) − (iii) over seeds",
          f"{_PAPER_GAP:.0%}", _ABOVE + f"; below but ≥ {bars.DIGIT_HALF_GAP:.0%}: partly",
          _against(_gap, _PAPER_GAP, partly=lambda gap: bars.digit_half(gap) == "z_g")),
    *(Claim(f"table1-k{row['k']}", f"Table 1: the AuxGMVAE's ACC at k = {row['k']}", "exp2_1", "many-to-one ACC, "
            "mean ± std over seeds", f"{row['acc'][0]:.1%} ± {row['acc'][1]:.1%}", _ABOVE,
            _against(_acc(row["k"]), row["acc"][0], paper_std=row["acc"][1])) for row in table1_claims().values()),
    Claim("fig4", "Fig. 4: the clusters follow the digit", "exp2_1", "NMI of the clusters with the digit and polarity, "
          "mean over seeds (clusters per digit not recorded)", _FIGURE, f"digit NMI > polarity NMI, {_NMI}", _fig4),
    Claim("fig5", "Fig. 5: clusters form by the number of digits", "exp2_1", "NMI of the clusters with n_digits",
          _FIGURE, _NMI, _reaches(lambda r: r["factor_nmi"]["n_digits"], NMI_FLOOR, "NMI {:.3f}")),
    Claim("fig6-digit", "Fig. 6: each cluster mainly represents a digit", "exp2_2", "mean purity of each digit's "
          "purest cluster (0 for one leading none)", _FIGURE, f"≥ {bars.CLUSTER_STANDS_FOR:.0%}",
          _reaches(_purity, bars.CLUSTER_STANDS_FOR, "mean purity {:.0%}")),
    Claim("fig6-polarity", "Fig. 6: clusters split dark-on-light from light-on-dark", "exp2_1", "NMI of the clusters "
          "with polarity, mean over seeds", _FIGURE, _NMI, _fig6_polarity),
    Claim("fig6-colour", "Fig. 6: z_l holds the background colour, z_g the digit style", "exp2_2", "colour spread "
          "down a column (new z_l) over along a row (new z_g)", _FIGURE, f"≥ {RATIO:g}×",
          _reaches(lambda r: r["colour_spread"]["new z_l"] / r["colour_spread"]["new z_g"], RATIO, "{:.1f}×")),
    Claim("colour-in-z_l", "Colour and brightness are in z_l", "local", "MLP probes of " + ", ".join(COLOUR_FACTORS),
          _WORDS, _PLACED.format("z_l"), _placed(COLOUR_FACTORS, "z_l"), by_setting=True),
    Claim("style-in-z_g", "Global style (orientation, stroke width) is in z_g", "local", "MLP probes of "
          + ", ".join(STYLE_FACTORS), _WORDS, _PLACED.format("z_g"), _placed(STYLE_FACTORS, "z_g"), by_setting=True),
)


def claims(directory: str | os.PathLike | None = None) -> pd.DataFrame:
    """Every claim of the paper (:data:`CLAIMS`: each figure panel, its own Table 1 row, the claims of its text;
    sections 3.1 and 3.2) with this book's measure and a verdict from :data:`VERDICTS`, read from the results
    files in ``directory`` (default :func:`auxlib.results.results_dir`). Every claim keeps its row: a chapter not
    executed there, or a results file without the measure, gives "not testable here" and says why in ``ours``.
    Columns: id, claim, chapter (the notebook), dataset, split, budget (steps, and their share of the paper
    profile's), seeds (runs measured), measure, ours, paper, verdict, rule; then, for the claims whose chapter
    also measures the setting the local study chose within the paper's method (``setting``, the "paper's method"
    entry of :data:`auxlib.local_sweep.SHOWN`; empty for the others), ``setting_ours`` and ``setting_verdict``
    by the same rule. Raises ValueError when ``directory`` is not a folder."""
    if directory is not None and not (isinstance(directory, (str, os.PathLike)) and Path(directory).is_dir()):
        raise ValueError(f"results_dir must be None or a folder of results files, got {directory!r}.")
    loaded = {chapter: load_if_present(chapter, directory) for chapter in CHAPTERS}
    rows = []
    for c in CLAIMS:
        r = loaded[c.chapter]
        row = dict(id=c.id, claim=c.claim, chapter=c.chapter, dataset="", split=CHAPTERS[c.chapter][1], budget="",
                   seeds=0, measure=c.measure, ours="chapter not executed", paper=c.paper, verdict=NOT_TESTABLE,
                   rule=f"no {c.chapter}.json: nothing measures it", setting="", setting_ours="",
                   setting_verdict="")
        if c.by_setting:
            shown = SHOWN["paper's method"]
            row.update(setting=shown, setting_ours="chapter not executed", setting_verdict=NOT_TESTABLE)
            if r is not None:
                try:
                    m = c.measured(r, shown)
                    row.update(setting_ours=m.ours, setting_verdict=m.verdict)
                except KeyError as missing:  # executed before the chapter measured this setting
                    row.update(setting_ours=f"not recorded ({missing})")
        if r is not None:
            try:
                m = c.measured(r)
                short = NAMES.get(m.dataset, m.dataset).split(" (")[0]  # "synth-svhn", not its description
                row.update(dataset=short, budget=budget(c.group or CHAPTERS[c.chapter][0], r["profile"]),
                           seeds=m.seeds, ours=m.ours, verdict=m.verdict, rule=c.rule)
            except KeyError as missing:  # a results file written before its chapter recorded this measure
                row.update(ours=f"not recorded ({missing})", rule=f"{c.chapter}.json lacks the measure")
        rows.append(row)
    return pd.DataFrame(rows)


def deviations() -> pd.DataFrame:
    """Every way this book differs from the paper (sections 3.1, 3.2) and from [SPLIT]'s code (51616/split-vae,
    which the ``paper`` profile encodes). The book's values are read from the ``standard`` profile's configs
    (:mod:`auxlib.profiles`) with the data set of ``book/parameters.yml``, so the table follows the code.
    Columns: aspect, paper, [SPLIT], this book, measured in (chapters, or "not measured")."""
    dataset = book_parameters(Path(__file__).resolve().parents[2] / "book" / "exp1_2.ipynb").get("dataset", "svhn")
    one, two, judge = auxvae("standard", dataset), auxgmvae("standard", dataset), classifier("standard", dataset)
    s1, s2 = auxvae("paper", "svhn"), auxgmvae("paper", "svhn")

    def split(config: Any) -> str:
        return "train + extra" if config.extra else "train only"

    def both(what: Callable[[Any], Any], first: Any, second: Any) -> str:
        return f"Exp. 1: {what(first)}; Exp. 2: {what(second)}"

    rows = [
        ("data set (SVHN experiments)", "SVHN", "SVHN", NAMES[dataset], "data"),
        ("network", "not stated", f"{s1.model.arch} (Conv 32-64-128, dense heads)",
         f"{one.model.arch}, widths {'-'.join(map(str, one.model.widths))}", "exp1_2"),
        ("latent sizes z_g + z_l", "not stated", f"{s1.model.z_g} + {s1.model.z_l}",
         both(lambda c: f"{c.model.z_g} + {c.model.z_l}", one, two), "exp1_2, placement"),
        ("budget (training steps)", "not stated", both(lambda c: f"{c.train.steps:,}", s1, s2),
         both(lambda c: f"{c.train.steps:,}", one, two), "exp1_2, exp2_gap"),
        ("learning rate", "not stated", f"Adam {s1.train.lr:g}; Exp. 2 ×{s2.train.lr_decay:g} every "
         f"{s2.train.lr_decay_every:,} steps", both(lambda c: f"Adam {c.train.lr:g}", one, two), "exp1_2, exp2_gap"),
        ("training split", "train + extra (604,388 images)", split(s1), split(one), "not measured"),
        ("classifier of Fig. 3", "95% on SVHN test (its training split not stated)",
         "trained on train + extra + test (test accuracy not held out)",
         f"small CNN, {judge.train.steps:,} steps on {split(judge)}; held-out test accuracy", "data, exp1_2"),
        ("β (Experiment 1)", "1.0 for Fig. 3; not stated for Fig. 2", "40 for the SVHN figures, 1 for Fig. 3",
         f"{one.model.beta:g}", "exp1_2, local"),
        ("β and α (Experiment 2)", "β not stated; α = 1 (Eq. 11)", f"β = {s2.model.beta:g}, α = {s2.model.alpha:g}",
         f"β = {two.model.beta:g}, α = {two.model.alpha:g}", "exp2_gap"),
        ("patch size n", "not stated", both(lambda c: c.model.patch_size, s1, s2),
         both(lambda c: c.model.patch_size, one, two), "placement, exp2_gap"),
        ("posterior family", "diagonal Gaussian (an IAF is mentioned)", "diagonal Gaussian (softplus std)",
         "diagonal Gaussian", "not measured"),
        ("q(z_g | ·) and the y head (Experiment 2)", "q(y, z_g | x)",
         f"{s2.model.posterior}, {s2.model.branch} branch, y head {s2.model.y_hidden}",
         f"{two.model.posterior}, {two.model.branch} branch, y head {two.model.y_hidden}", "exp2_gap"),
        ("decodes of Fig. 3", "not stated", "posterior samples", "posterior means (samples compared)", "exp1_2"),
        ("initialisation", "not stated", "glorot (Keras's defaults)", one.model.init, "not measured"),
    ]
    return pd.DataFrame(rows, columns=["aspect", "paper", "[SPLIT]", "this book", "measured in"])


def _counted(verdicts: pd.Series) -> str:
    """How many of ``verdicts`` are each verdict, in the order of :data:`VERDICTS`: "2 reproduced and 1 partly"."""
    counts = verdicts.value_counts()
    return series([f"{counts[v]} {v}" for v in VERDICTS if v in counts])


def tally(table: pd.DataFrame) -> str:
    """How many claims of a :func:`claims` table got each verdict, in the order of :data:`VERDICTS`, the budgets
    they were measured at, and the verdicts of the claims measured for the setting the local study chose."""
    budgets = {b: sorted(set(rows["chapter"])) for b, rows in table[table["budget"] != ""].groupby("budget")}
    text = (f"Of the paper's {len(table)} claims, {_counted(table['verdict'])}. Budgets: "
            + "; ".join(f"{b} in {series(chapters)}" for b, chapters in budgets.items()) + ".")
    shown = table[table["setting"] != ""]
    if shown.empty:
        return text
    return text + (f" With **{shown['setting'].iloc[0]}**, the setting the [local chapter](local) chooses within the "
                   f"paper's method, the {len(shown)} claim{'s' if len(shown) > 1 else ''} measured for it "
                   f"{'are' if len(shown) > 1 else 'is'} {_counted(shown['setting_verdict'])}.")


def overview(table: pd.DataFrame) -> str:
    """The landing page's opening, in Markdown: :func:`tally`, then one line per claim of a :func:`claims` table
    with its verdict, our measure and the paper's, each claim linked to the chapter that measures it, and the
    verdict for the setting the local study chose where that was measured ("–" elsewhere)."""
    def cell(value: Any) -> str:
        return str(value).replace("|", "\\|")

    setting = next((s for s in table["setting"] if s), None)
    extra = f" with {cell(setting)} |" if setting else ""
    lines = [f"| claim | verdict | ours | paper | data |{extra}", "|:--|:--|:--|:--|:--|" + (":--|" if setting else "")]
    lines += [f"| [{cell(r['claim'])}]({r['chapter']}) | **{r['verdict']}** | {cell(r['ours'])} | {cell(r['paper'])} "
              f"| {cell(r['dataset']) or '–'} |" + (f" {r['setting_verdict'] or '–'} |" if setting else "")
              for _, r in table.iterrows()]
    return tally(table) + "\n\n" + "\n".join(lines)
