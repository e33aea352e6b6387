"""Experiment 1.1 (paper section 3.1, Fig. 2): what each part of the latent holds, by eye and by two measures.

Fig. 2 decodes one prior draw of one part with many draws of the other. Two readings put numbers on the grids: how
many times as much the images' mean colour (luma, chroma) moves when z_l is drawn again as when z_g is
(:func:`spreads`, :func:`ratios`), and how many of the decodes the data set's digit classifier reads with
confidence (:func:`auxlib.judge.legible_share`). The bars those readings are held to and the sentences the chapter
prints live here too; the local chapter (:mod:`auxlib.local_sweep`) reads every setting of its study with
:func:`ratios`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch

from ..analysis import judge, latents, metrics
from ..data import NAMES
from ..model.models import AuxVAE
from ..training.store import Run
from .tables import duration, series

#: Drawing z_l again must move luma and chroma each at least this many times as much as drawing z_g again.
RATIO = 3.0
#: The grids that draw z_g again show legible digits when the classifier reads at least this share of their decodes
#: with confidence, as a share of what it reads of the model's reconstructions of test images (decodes as blurred
#: as the grids').
LEGIBLE_OF_TEST = 0.5
#: The classifier judges legibility only when it reads at least this share of real test images with confidence.
LEGIBLE_KNOWN = 0.5


def grids(model: AuxVAE, pairs: int, n: int = 100, generator: torch.Generator | None = None
          ) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """``pairs`` pairs of the paper's Fig. 2 grids (:func:`auxlib.latents.fixed_part_grid`): one prior draw of
    z_g decoded with ``n`` draws of z_l, then one draw of z_l with ``n`` draws of z_g; each grid (n, C, H, W)."""
    return [(latents.fixed_part_grid(model, "g", n, generator), latents.fixed_part_grid(model, "l", n, generator))
            for _ in range(pairs)]


def spreads(pairs: Sequence[tuple[torch.Tensor, torch.Tensor]]) -> pd.DataFrame:
    """How much the images' mean colour varies inside Fig. 2 grids (:func:`grids`): the mean over pairs
    of :func:`auxlib.metrics.colour_spread` (units of the full intensity range), one row per view of
    :data:`auxlib.metrics.COLOUR_VIEWS`, columns "z_l drawn" and "z_g drawn", and "z_l / z_g" their ratio."""
    spread = pd.DataFrame({view: {f"z_{drawn} drawn": np.mean([metrics.colour_spread(pair[i].numpy(), view)
                                                               for pair in pairs])
                                  for i, drawn in enumerate("lg")}
                           for view in metrics.COLOUR_VIEWS}).T
    spread["z_l / z_g"] = spread["z_l drawn"] / spread["z_g drawn"].clip(lower=1e-12)
    return spread


def ratios(model: AuxVAE, pairs: int = 5, n: int = 100, seed: int = 0) -> dict[str, float]:
    """How many times as much drawing z_l again moves the images' mean colour as drawing z_g again, in luma
    and in chroma (:func:`spreads` over ``pairs`` pairs of :func:`grids`, ``n`` draws each):
    ``{"luma": ratio, "chroma": ratio}``."""
    ratio = spreads(grids(model, pairs, n, torch.Generator().manual_seed(seed)))["z_l / z_g"]
    return {view: float(ratio[view]) for view in ("luma", "chroma")}


# The chapter's sentences.
def latent_terms(runs: dict[str, Run]) -> str:
    """Per data set, how long its AuxVAE trained and the nats its z_g and z_l hold at the end."""
    model = next(iter(runs.values())).config.model
    return (f"With patch size $n = {model.patch_size}$ and $\\beta = {model.beta:g}$, training "
            + "; ".join(f"on {NAMES[name]}, {run.history[-1]['step']:,} steps of batch {run.config.train.batch_size} "
                        f"took {duration(run.seconds)} and end with {run.history[-1]['kl_g']:.1f} nats in $z_g$ and "
                        f"{run.history[-1]['kl_l']:.1f} in $z_l$" for name, run in runs.items()) + ".")


def _met_by(target: str, met: pd.Series) -> str:
    """``"<target>, is met by a and missed by b."`` from one boolean per setting (``"is met by none."`` when
    none meets it)."""
    if not met.any():
        return f"{target}, is met by none."
    return (f"{target}, is met by {series(met.index[met.values])} and missed by "
            f"{series(met.index[~met.values]) or 'none'}.")


def ratios_verdict(ratios: pd.DataFrame) -> str:
    """Per data set and setting (the two levels of the index), how many times as much drawing z_l again moves
    the images' mean luma and chroma as drawing z_g again (columns "luma" and "chroma", the "z_l / z_g" column of
    :func:`spreads`), against the target: at least :data:`RATIO` in both, on every data set."""
    text = ""
    for dataset, rows in ratios.groupby(level=0, sort=False):
        said = [f"{r['luma']:.1f} and {r['chroma']:.1f} times as much for **{setting}**"
                for (_, setting), r in rows.iterrows()]
        text += f"On {dataset}, drawing $z_l$ again moves luma and chroma {', '.join(said)}. "
    met = (ratios[["luma", "chroma"]] >= RATIO).all(axis=1).groupby(level=1, sort=False).all()
    target = (f"The target, drawing $z_l$ again moving each at least {RATIO:g} times as much as drawing $z_g$ "
              f"again on {'every data set' if ratios.index.get_level_values(0).nunique() > 1 else 'this data set'}")
    return text + _met_by(target, met)


def legible_verdict(legible: pd.DataFrame, digits: Sequence[str]) -> str:
    """Per data set and setting (the two levels of the index), the share of images that the data set's
    classifier reads with confidence (:func:`auxlib.judge.legible_share`): real test images ("test images", the
    known answer), the model's reconstructions of them ("reconstructions", decodes as blurred as the grids'), and
    the Fig. 2 grids' decodes that draw z_g again ("z_g drawn") and z_l again ("z_l drawn"). The data sets of
    ``digits`` are held to the target, legible digits where z_g is drawn: at least :data:`LEGIBLE_OF_TEST` of the
    reconstructions' share, once the classifier passes its known answer (at least :data:`LEGIBLE_KNOWN` of the
    test images read with confidence)."""
    text = ""
    for dataset, rows in legible.groupby(level=0, sort=False):
        said = [f"{r['reconstructions']:.0%}, {r['z_g drawn']:.0%} and {r['z_l drawn']:.0%} for **{setting}**"
                for (_, setting), r in rows.iterrows()]
        text += (f"On {dataset}, the classifier reads {rows['test images'].iloc[0]:.0%} of the test images with "
                 f"confidence (top probability at least {judge.LEGIBLE:g}); of their reconstructions and of the "
                 f"decodes in the grids that draw $z_g$ again and $z_l$ again, {', '.join(said)}. ")
    held = legible[legible.index.get_level_values(0).isin(digits)]
    if held.empty:
        return text.strip()
    if (held["test images"] < LEGIBLE_KNOWN).any():
        return text + (f"The classifier reads fewer than {LEGIBLE_KNOWN:.0%} of the real test images with "
                       "confidence, so its reading of the decodes cannot judge whether they hold legible digits.")
    ok = (held["z_g drawn"] >= LEGIBLE_OF_TEST * held["reconstructions"]).groupby(level=1, sort=False).all()
    target = (f"The target, legible digits where $z_g$ is drawn again (at least {LEGIBLE_OF_TEST:.0%} of the "
              "reconstructions' share)")
    return text + _met_by(target, ok)
