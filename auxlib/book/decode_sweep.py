"""Experiment 1.2's sweep: what limits how well a classifier reads the AuxVAE's decodes.

The test of the paper's Fig. 3 (section 3.1) asks a classifier to label three decodes of an image: its
reconstruction (i), the decode with z_l drawn from the prior (ii) and the one with z_g drawn from the prior (iii).
Each setting below changes one thing from a stated baseline (Experiment 1's first standard AuxVAE: 32 + 32
latents, the compact network, one discretised logistic per subpixel, Adam at 1e-3, patch size 1, beta = 1), or
combines changes. Every run is scored during training on a fixed sample of train images by the data chapter's
classifier (:func:`auxlib.monitor.decode_scores`), and settings are compared on those train-split scores alone,
at a common step and at the end of their runs.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..analysis.latents import RESAMPLED
from ..model.config import RunConfig
from ..training.store import Record, Run
from .profiles import experiment, name_of

#: The baseline, spelled out so that it stays fixed when the profile adopts another setting.
BASELINE: dict[str, Any] = dict(z_g=32, z_l=32, arch="compact", aux_components=1, lr=1e-3, beta=1.0, patch_size=1)
#: The paper's latent sizes ([SPLIT]: 128 + 128).
PAPER_SIZES: dict[str, Any] = dict(z_g=128, z_l=128)
#: A setting is a candidate only if (iii), the decode that keeps z_l alone, stays at or below the paper's bar: a
#: setting that reads the digit back from z_l has lost the split, however sharp its decodes.
MAX_Z_G_RESAMPLED = 0.15
#: The three decodes, in the order of the paper's Fig. 3.
DECODES = tuple(RESAMPLED)


def changes() -> dict[str, dict[str, Any]]:
    """The settings of the sweep as overrides of :data:`BASELINE`, by name: one change at a time, then the paper's
    latent sizes combined with the other changes."""
    single = {
        "baseline": {},
        "z = 64 + 64": dict(z_g=64, z_l=64),
        "z = 128 + 128": PAPER_SIZES,
        "lr 5e-4": dict(lr=5e-4),
        "lr 2e-3": dict(lr=2e-3),
        "mixture p̂(x̂ | z_l)": dict(aux_components=2),
        "[SPLIT] network": dict(arch="split"),
    }
    combined = {
        "z = 128 + 128, mixture": dict(PAPER_SIZES, aux_components=2),
        "z = 128 + 128, lr 2e-3": dict(PAPER_SIZES, lr=2e-3),
    }
    return {**single, **combined}


def runs(profile: str, dataset: str, seed: int = 0, steps: int | None = None) -> dict[str, RunConfig]:
    """The run config of every setting of :func:`changes`, by name: Experiment 1's AuxVAE at ``profile``
    (``steps`` overrides its length), with the baseline's values and then the setting's. Each is scored during
    training by the profile's classifier of ``dataset`` (its ``judge``)."""
    return {name: experiment("exp1", profile, dataset=dataset, seed=seed, steps=steps, **dict(BASELINE, **change))
            for name, change in changes().items()}


def scores_at(record: Record | Run, step: int | None = None) -> dict[str, float]:
    """The training-time decode scores of a run at ``step`` (the last row at or before it; the run's last row
    when None), with the step they were taken at. Raises ValueError for a run without scores before ``step``."""
    rows = [r for r in record.scores if step is None or r["step"] <= step]
    if not rows or not all(d in rows[-1] for d in DECODES):
        raise ValueError(f"record must hold decode scores{'' if step is None else f' up to step {step}'}, got "
                         f"{len(rows)} rows for run {record.config.key()}.")
    return rows[-1]


def table(records: dict[str, Record], step: int | None = None) -> pd.DataFrame:
    """One row per setting: (i)-(iii) at ``step`` (each run's end when None), the gap (i) - (ii) in points, the
    KL terms (nats per image) of the loss-history row at or before the step of those scores, that step, and the
    training time of the whole run in minutes ("run minutes")."""
    rows = {}
    for name, record in records.items():
        s = scores_at(record, step)
        logged = [r for r in record.history if r["step"] <= s["step"]] or record.history[:1]
        rows[name] = {**{d: s[d] for d in DECODES}, "gap (i) - (ii), points": 100 * (s[DECODES[0]] - s[DECODES[1]]),
                      "kl_g": logged[-1].get("kl_g"), "kl_l": logged[-1].get("kl_l"), "step": int(s["step"]),
                      "run minutes": record.seconds / 60}
    return pd.DataFrame(rows).T.astype({"step": int})


def best(records: dict[str, Record], step: int | None = None) -> str:
    """The setting whose decodes with z_l resampled, (ii), the classifier reads best at ``step``, among those
    whose (iii) is at most :data:`MAX_Z_G_RESAMPLED`. (ii) is bounded by (i) and falls with the gap between them,
    so it rewards sharp decodes and a clean split at once. Raises ValueError when no setting keeps the split."""
    scores = {name: scores_at(r, step) for name, r in records.items()}
    kept = {name: s[DECODES[1]] for name, s in scores.items() if s[DECODES[2]] <= MAX_Z_G_RESAMPLED}
    if not kept:
        raise ValueError(f"records must hold a setting whose (iii) is at most {MAX_Z_G_RESAMPLED:.0%}, got none.")
    return max(kept, key=kept.__getitem__)


def setting_of(config: RunConfig, profile: str) -> str | None:
    """The name of the setting of :func:`changes` that ``config`` trains (at its own data set, seed and number of
    steps), or None when it is none of them (:func:`auxlib.profiles.name_of`)."""
    return name_of(config, runs(profile, config.dataset, seed=config.train.seed, steps=config.train.steps))
