"""auxlib: information placement with an auxiliary generative task, in PyTorch.

Modules: ``checks`` (the one shape of every error about a parameter), ``config`` (validated configs and run keys),
``profiles`` (each chapter's values per budget, and the named experiments chapters share), ``data`` (data sets and their cache), ``synth_svhn`` (the
synthetic SVHN stand-in), ``factors`` (tables of true factors), ``transforms`` (the patch shuffle and grey-scale
g(x)), ``likelihoods``, ``models`` (AuxVAE, Classifier), ``latents`` (encoding, decoding and swapping the
latent parts of a trained model), ``train`` (the training loop, checkpoints and run
cache), ``monitor`` (scores taken during training), ``metrics`` (accuracy and clustering scores), ``placement``
(probes of true factors from each latent part, MIG), ``ablation`` (Experiment 2's settings, one change at a time),
``decode_sweep`` (Experiment 1.2's sweep), ``judge`` (the classifier that reads decodes), ``claims`` (the bars the
book's verdicts are held to), ``plots``, ``results`` (each chapter's numbers as JSON), ``book`` (the table of
contents, the book's parameters, chapter timings).
"""

from . import (ablation, book, checks, claims, config, data, decode_sweep, factors, judge, latents, likelihoods, metrics,
               models, monitor, placement, plots, profiles, results, train, transforms)
from .config import AuxVAEConfig, RunConfig, TrainConfig
from .profiles import experiment, settings
from .models import AuxVAE

__version__ = "0.1.0"
__all__ = ["ablation", "book", "checks", "claims", "config", "data", "decode_sweep", "factors", "judge", "latents",
           "likelihoods", "metrics", "models", "monitor", "placement", "plots", "profiles", "results", "train",
           "transforms", "AuxVAEConfig", "RunConfig", "TrainConfig", "experiment", "settings", "AuxVAE"]
