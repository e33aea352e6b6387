"""auxlib: information placement with an auxiliary generative task, in PyTorch.

Layers, each a folder that imports only those before it (a test checks it):
- ``checks`` (the one shape of every error about a parameter) and ``io`` (atomic writes, folders);
- ``model``: ``config`` (validated configs and run keys), ``likelihoods``, ``transforms`` (the registry of g(x)),
  ``models`` (AuxVAE, AuxGMVAE, Classifier and the registry from config to model);
- ``data``: data sets, their cache and images as tensors; ``synth_svhn`` (the synthetic SVHN stand-in),
  ``factors`` (tables of true factors);
- ``analysis``: ``latents`` (encoding, decoding and swapping the parts of the latent), ``judge`` (the classifier
  that reads decodes), ``metrics``, ``probes`` (probes of a factor from a code, with known answers);
- ``training``: ``devices``, ``store`` (the run cache, checkpoints, records), ``monitor`` (scores taken during
  training), ``train`` (the loop), ``archive`` (a chapter's runs packed into one file and imported elsewhere);
- ``book``, for the chapters only: ``profiles``, the studies (``fig2`` for Experiment 1.1, ``decode_sweep``,
  ``ablation``, ``local_sweep``, ``placement``), ``claims``, ``verdicts``, ``paper``, ``reproduction``, ``results``,
  ``tables``, ``compute`` (FLOPs per image, GPU-hours estimated for the ``paper`` profile), ``plots``.

Every module is also reachable by its short name, loaded on first use: ``from auxlib import train, verdicts``.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"
#: The modules by their short names, loaded on first use, so that ``import auxlib`` is light and a script that
#: trains loads neither the plotting stack nor the book's modules.
SUBMODULES = {
    "checks": "checks", "io": "io", **{layer: layer for layer in ("model", "analysis", "training")},
    **{m: f"model.{m}" for m in ("config", "likelihoods", "transforms", "models")},
    "data": "data", **{m: f"data.{m}" for m in ("synth_svhn", "factors")},
    **{m: f"analysis.{m}" for m in ("latents", "judge", "metrics", "probes")},
    **{m: f"training.{m}" for m in ("devices", "store", "monitor", "train", "archive")},
    "book": "book", **{m: f"book.{m}" for m in ("profiles", "fig2", "ablation", "decode_sweep", "local_sweep",
                                                 "placement", "claims", "verdicts", "paper", "results", "tables",
                                                 "compute", "plots", "reproduction")},
}
#: Names kept at the top level, by the module that defines them.
_NAMES = {"AuxVAEConfig": "config", "RunConfig": "config", "TrainConfig": "config", "experiment": "profiles",
          "settings": "profiles", "AuxVAE": "models"}
__all__ = [*SUBMODULES, *_NAMES]


def __getattr__(name: str) -> Any:
    if name in SUBMODULES:
        return importlib.import_module(f".{SUBMODULES[name]}", __name__)
    if name in _NAMES:
        return getattr(importlib.import_module(f".{SUBMODULES[_NAMES[name]]}", __name__), name)
    raise AttributeError(f"module 'auxlib' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
