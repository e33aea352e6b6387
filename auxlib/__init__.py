"""auxlib: information placement with an auxiliary generative task, in PyTorch.

Modules, in pipeline order:
- set-up: ``checks`` (the one shape of every error about a parameter), ``config`` (validated configs and run keys),
  ``profiles`` (each chapter's values per budget, and the named experiments chapters share);
- data: ``data`` (data sets, their cache, images as tensors), ``synth_svhn`` (the synthetic SVHN stand-in),
  ``factors`` (tables of true factors), ``transforms`` (the registry of g(x): patch shuffle, grey-scale, rotation);
- models: ``likelihoods``, ``models`` (AuxVAE, AuxGMVAE, Classifier);
- training: ``train`` (the loop), ``store`` (the run cache, checkpoints, records), ``devices`` (device, torchrun,
  bf16), ``monitor`` (scores taken during training);
- analysis: ``latents`` (encoding, decoding and swapping the latent parts of a trained model), ``judge`` (the
  classifier that reads decodes), ``metrics`` (accuracy, clustering scores, colour spreads), ``probes`` (probes
  of a factor from a code, with known answers), ``placement`` (probes of true factors from each latent part, by
  factor and by group, MIG);
- sweeps: ``ablation`` (Experiment 2's settings, one change at a time), ``decode_sweep`` (Experiment 1.2's sweep),
  ``local_sweep`` (what puts local information in z_l);
- the book: ``claims`` (the bars the book's verdicts are held to), ``verdicts`` (the sentences built from the
  numbers), ``plots``, ``results`` (each chapter's numbers as JSON), ``paper`` (the paper's numbers and ours
  beside them), ``tables`` (shared tables and sentences), ``book`` (the table of contents, the book's
  parameters, chapter timings), ``io`` (atomic writes, folders).
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"
#: The modules, loaded on first use, so that ``import auxlib`` is light and a script that trains loads neither the
#: plotting stack nor the book's modules.
SUBMODULES = ("ablation", "book", "checks", "claims", "config", "data", "decode_sweep", "devices", "factors", "judge",
              "latents", "likelihoods", "local_sweep", "metrics", "models", "monitor", "paper", "placement", "plots",
              "probes", "profiles", "results", "store", "tables", "train", "transforms", "verdicts")
#: Names kept at the top level, by the module that defines them.
_NAMES = {"AuxVAEConfig": "config", "RunConfig": "config", "TrainConfig": "config", "experiment": "profiles",
          "settings": "profiles", "AuxVAE": "models"}
__all__ = [*SUBMODULES, *_NAMES]


def __getattr__(name: str) -> Any:
    if name in SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    if name in _NAMES:
        return getattr(importlib.import_module(f".{_NAMES[name]}", __name__), name)
    raise AttributeError(f"module 'auxlib' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
