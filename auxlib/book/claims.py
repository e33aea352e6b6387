"""The rules behind the book's verdicts: every bar a sentence is held to, named once, and the test it makes.
The sentences themselves are built in :mod:`auxlib.verdicts`.

Experiment 1.2 (the paper's Fig. 3, section 3.1): a classifier reads three decodes of test images, (i) the
reconstruction, (ii) the decode with z_l drawn from the prior (z_g kept) and (iii) the decode with z_g drawn from
the prior (z_l kept). The paper reports 86%, 80% and 11% with a classifier of 95%; the book holds its own numbers
to the paper's bars and to a stricter aim, a cleaner split than the paper's.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .paper import PAPER

#: The paper's bars for Fig. 3: the classifier on real test images, (i), (ii) (its figures), the gap (i) - (ii)
#: (theirs, 86% - 80%) and (iii) (a margin over their 11%, which sits near chance).
CLASSIFIER_BAR = PAPER["exp1_2"]["classifier"]
RECONSTRUCTION_BAR = PAPER["exp1_2"]["reconstruction"]
Z_G_KEPT_BAR = PAPER["exp1_2"]["z_l resampled"]
GAP_BAR = 0.06
Z_L_KEPT_BAR = 0.15
#: The stricter aim: (ii) within this of (i), and (iii) within this of chance (always naming the commonest label).
CLEAN_MARGIN = 0.02
#: Larger beta costs accuracy when (i) at the largest beta of a sweep is at least this far below its best.
BETA_COST = 0.03


def fig3_bars(scores: dict[str, float]) -> dict[str, bool]:
    """Whether the decode accuracies ``scores`` (fractions, keyed as :data:`auxlib.latents.RESAMPLED`: the
    reconstruction, "z_l resampled" and "z_g resampled") meet each of the paper's four bars for them."""
    reconstruction, z_g_kept, z_l_kept = (scores[k] for k in ("reconstruction", "z_l resampled", "z_g resampled"))
    return {
        f"(i) reconstruction >= {RECONSTRUCTION_BAR:.0%}": reconstruction >= RECONSTRUCTION_BAR,
        f"(ii) z_l resampled >= {Z_G_KEPT_BAR:.0%}": z_g_kept >= Z_G_KEPT_BAR,
        f"(ii) within {100 * GAP_BAR:.0f} points of (i)": reconstruction - z_g_kept <= GAP_BAR,
        f"(iii) z_g resampled <= {Z_L_KEPT_BAR:.0%}": z_l_kept <= Z_L_KEPT_BAR,
    }


def fig3_checks(scores: dict[str, float], classifier: float, chance: float) -> dict[str, bool]:
    """Whether the decode accuracies ``scores`` (as in :func:`fig3_bars`) and the ``classifier``'s accuracy on real
    test images meet each bar, by the sentence the book prints for it: the classifier's, the paper's four
    (:func:`fig3_bars`), then the stricter aim. ``chance`` is the share of the commonest label."""
    reconstruction, z_g_kept, z_l_kept = (scores[k] for k in ("reconstruction", "z_l resampled", "z_g resampled"))
    return {
        f"classifier >= {CLASSIFIER_BAR:.0%}": classifier >= CLASSIFIER_BAR,
        **fig3_bars(scores),
        f"(ii) within {100 * CLEAN_MARGIN:.0f} points of (i) (cleaner than the paper)":
            reconstruction - z_g_kept <= CLEAN_MARGIN,
        f"(iii) within {100 * CLEAN_MARGIN:.0f} points of chance (cleaner than the paper)":
            abs(z_l_kept - chance) <= CLEAN_MARGIN,
    }


#: A half of the latent holds the digit alone when the decodes that keep it are read at least this much better
#: than the decodes that keep the other half ((ii) - (iii) for z_g, (iii) - (ii) for z_l).
DIGIT_HALF_GAP = 0.2


def digit_half(gap: float) -> str | None:
    """The half that holds the digit alone, "z_g" or "z_l", by the gap (ii) - (iii) between keeping z_g and keeping
    z_l (a fraction) and :data:`DIGIT_HALF_GAP`; None when neither does."""
    if gap >= DIGIT_HALF_GAP:
        return "z_g"
    return "z_l" if gap <= -DIGIT_HALF_GAP else None


# Placement (the placement chapter): where a factor lives, and when a difference is more than noise.
#: A factor lives in a latent part when that part's probe score is at least LOCATION_MARGIN above every other's;
#: no part holds it when none reaches LOCATION_FLOOR.
LOCATION_MARGIN = 0.1
LOCATION_FLOOR = 0.1
#: Two settings differ when the gap of their mean scores is more than SETTLE_FACTOR times the larger standard
#: deviation over seeds.
SETTLE_FACTOR = 2.0
#: A transform moves a group of factors towards a part when the group's mean lean changes by at least this much.
MOVE_MARGIN = 0.05
#: MIG below this is small for every model: single dimensions do not capture single factors.
SMALL_MIG = 0.1


def location(scores: dict[str, float], margin: float = LOCATION_MARGIN, floor: float = LOCATION_FLOOR) -> str:
    """Where one factor lives, from its probe scores per part (a row of a placement matrix): the name of the
    part that scores at least ``margin`` above every other, "both" when no part does but two reach ``floor``,
    and "neither" when none reaches ``floor``."""
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    if ranked[0][1] < floor:
        return "neither"
    if len(ranked) == 1 or ranked[0][1] - ranked[1][1] >= margin:
        return ranked[0][0]
    return "both"


def settled(gap: float, spread: float) -> bool:
    """Whether a gap between two mean scores is more than :data:`SETTLE_FACTOR` times ``spread`` (the larger
    standard deviation over seeds): a difference these seeds settle."""
    return gap > SETTLE_FACTOR * spread


def lean(matrix: dict[str, dict[str, float]], names: Sequence[str]) -> float:
    """Mean over the factors ``names`` of (probe score from z_g - probe score from z_l), from a placement matrix:
    above 0 the group leans to z_g, below 0 to z_l."""
    return float(np.mean([matrix[f]["z_g"] - matrix[f]["z_l"] for f in names]))


def moved(before: float, after: float) -> bool:
    """Whether a lean (:func:`lean`) rose by at least :data:`MOVE_MARGIN` from ``before`` to ``after``."""
    return after - before >= MOVE_MARGIN


# Experiment 2.2 (the paper's Fig. 6): a cluster stands for a digit when at least this share of its test images
#: show that digit; below it, its grid is titled by its share, never by the digit alone.
CLUSTER_STANDS_FOR = 0.5


# Experiment 2.1 (the paper's Table 1, section 3.2): the AuxGMVAE's many-to-one ACC over seeds.
#: The stricter aim for the spread between seeds of the AuxGMVAE's ACC.
CLUSTER_STD_AIM = 0.03


#: The paper's own row of Table 1, (mean, std) of many-to-one ACC, and the best one-to-one ACC it lists.
TABLE1_PAPER = PAPER["exp2_1"]["VAE + auxiliary task (paper)"]["acc"]
TABLE1_BEST = PAPER["exp2_1"]["ACOL + GAR + k-means (Kilinc & Uysal 2018)"]["hungarian"][0]


def table1_checks(acc: Sequence[float], paper: tuple[float, float] = TABLE1_PAPER,
                  best_k10: float = TABLE1_BEST) -> dict[str, bool]:
    """Whether the AuxGMVAE's many-to-one ACC over seeds (``acc``, fractions) meets the paper's mean and standard
    deviation (``paper``) and the stricter aim: the best one-to-one ACC the paper lists (``best_k10``, ACOL + GAR)
    and a standard deviation under :data:`CLUSTER_STD_AIM`, by the sentence the book prints for each. A spread
    counts only beside the ACC it goes with: a small spread of clusters that miss the bar is not stable clustering
    of the digit, so each spread check is met only where its ACC check is."""
    mean, std = float(np.mean(acc)), float(np.std(acc))
    return {f"many-to-one ACC >= {paper[0]:.1%} (the paper)": mean >= paper[0],
            f"std < {paper[1]:.1%} (the paper's) at that ACC": std < paper[1] and mean >= paper[0],
            f"aim: many-to-one ACC >= {best_k10:.1%} (ACOL + GAR)": mean >= best_k10,
            f"aim: std < {CLUSTER_STD_AIM:.1%} at that ACC": std < CLUSTER_STD_AIM and mean >= best_k10}
