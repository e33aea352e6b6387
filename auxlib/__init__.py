"""auxlib: information placement with an auxiliary generative task, in PyTorch.

Modules: ``config`` (validated configs and profiles), ``data`` (data sets and their cache), ``synth_svhn`` (the
synthetic SVHN stand-in), ``factors`` (tables of true factors), ``transforms`` (the patch shuffle and grey-scale
g(x)), ``likelihoods``, ``models`` (AuxVAE, Classifier), ``latents`` (encoding, decoding and swapping the
latent parts of a trained model), ``train`` (the training loop, checkpoints and run
cache), ``metrics`` (accuracy and clustering scores), ``placement`` (probes of true factors from each latent part,
MIG), ``plots``, ``results`` (each chapter's numbers as JSON).
"""

from . import config, data, factors, latents, likelihoods, metrics, models, placement, plots, results, train, transforms
from .config import AuxVAEConfig, RunConfig, TrainConfig, experiment
from .models import AuxVAE

__version__ = "0.1.0"
__all__ = ["config", "data", "factors", "latents", "likelihoods", "metrics", "models", "placement", "plots", "results",
           "train", "transforms", "AuxVAEConfig", "RunConfig", "TrainConfig", "experiment", "AuxVAE"]
