"""The sentences of the chapters without a study module of their own (the method and data chapters, Experiments
2.1 and 2.2), built from the numbers by the rules of :mod:`auxlib.claims`. Each function serves one paragraph of one
chapter, named in its docstring, and returns Markdown. A chapter with a module of its own keeps its sentences there:
the local chapter's in :mod:`auxlib.local_sweep`, Experiment 1.1's in :mod:`auxlib.fig2`, Experiment 1.2's in
:mod:`auxlib.decode_sweep`, the gap chapter's (and the landing page's line on it) in :mod:`auxlib.ablation`, the
placement chapter's in :mod:`auxlib.placement`.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ..data import NAMES
from ..model.config import RunConfig
from ..model.likelihoods import bits_per_dim
from ..training.store import Run
from . import claims
from .profiles import PROFILES
from .tables import checklist, duration, mean_std, series


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
