"""Working in the latent space of a trained model: encode many images, decode chosen codes, swap the parts.

Experiment 1 (the paper's section 3.1) uses grids with one part of the latent held fixed (Fig. 2), grids that take z_g
from one image and z_l from another, and the test of Fig. 3, which replaces one part by a draw from the prior
and asks a classifier what the decoded image still shows. Experiment 2 (section 3) reads the clusters of an
AuxGMVAE and draws per-cluster grids (Fig. 6).
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.cluster import KMeans
from torch import nn

from ..model.models import AuxGMVAE, AuxVAE, Posterior, predict
from . import judge

#: The three decodes of Fig. 3: which part of the latent is replaced by a draw from N(0, I).
RESAMPLED = {"reconstruction": None, "z_l resampled": "l", "z_g resampled": "g"}


def _device(model: nn.Module) -> torch.device:
    return next(model.parameters()).device


@torch.no_grad()
def encode(model: AuxVAE, images: torch.Tensor, generator: torch.Generator | None = None,
           batch_size: int = 500) -> Posterior:
    """Posterior of every image (uint8 NCHW), in batches; each image gets its own shuffle from ``generator``."""
    parts = []
    for i in range(0, len(images), batch_size):
        x = images[i:i + batch_size].to(_device(model))
        parts.append(model.encode(x, generator=generator))
    return Posterior(*(torch.cat(p).cpu() for p in zip(*parts)))


@torch.no_grad()
def decode(model: AuxVAE, z_g: torch.Tensor, z_l: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
    """Mean images in [0, 1] of p(x | z_g, z_l) for many codes, in batches, on the CPU."""
    device = _device(model)
    return torch.cat([model.decode(z_g[i:i + batch_size].to(device), z_l[i:i + batch_size].to(device)).cpu()
                      for i in range(0, len(z_g), batch_size)])


def codes(model: AuxVAE, images: torch.Tensor, part: str = "g", generator: torch.Generator | None = None
          ) -> np.ndarray:
    """Posterior means of every image as a float32 array: ``part`` "g" (z_g), "l" (z_l) or "both" (z_g, z_l).
    z_l is read from a shuffled image, so its mean depends on the shuffles ``generator`` draws; by default a
    generator seeded with 0, so that the same call gives the same codes."""
    if part not in ("g", "l", "both"):
        raise ValueError(f"part must be 'g', 'l' or 'both', got {part!r}.")
    post = encode(model, images, generator if generator is not None else torch.Generator().manual_seed(0))
    chosen = {"g": [post.mu_g], "l": [post.mu_l], "both": [post.mu_g, post.mu_l]}[part]
    return torch.cat(chosen, dim=1).numpy().astype(np.float32)


def pixels(images: torch.Tensor) -> np.ndarray:
    """uint8 NCHW images as flat float32 rows in [0, 1]: the "code" of the raw-pixel baselines."""
    return images.reshape(len(images), -1).float().div(255).numpy()


def prior(n: int, size: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """n draws of an isotropic standard normal of dimension ``size``."""
    return torch.randn(n, size, generator=generator)


def fixed_part_grid(model: AuxVAE, fixed: str, n: int = 100, generator: torch.Generator | None = None
                    ) -> torch.Tensor:
    """The paper's Fig. 2 (section 3.1): one prior draw of the ``fixed`` part ("g" or "l") decoded with n prior
    draws of the other."""
    if fixed not in ("g", "l"):
        raise ValueError(f"fixed must be 'g' or 'l', got {fixed!r}.")
    cfg = model.config
    z_g = prior(1 if fixed == "g" else n, cfg.z_g, generator).expand(n, -1)
    z_l = prior(1 if fixed == "l" else n, cfg.z_l, generator).expand(n, -1)
    return decode(model, z_g, z_l)


def swap_decodes(model: AuxVAE, rows: torch.Tensor, columns: torch.Tensor,
              generator: torch.Generator | None = None) -> torch.Tensor:
    """Decodes of z_g from each image of ``rows`` with z_l from each image of ``columns`` (posterior means).

    Returns ``len(rows) * len(columns)`` images in row-major order: row i holds the z_g of ``rows[i]``.
    """
    g = encode(model, rows, generator).mu_g
    l = encode(model, columns, generator).mu_l
    r, c = len(g), len(l)
    return decode(model, g.repeat_interleave(c, dim=0), l.repeat(r, 1))


def resampled_decodes(model: AuxVAE, posterior: Posterior, resample: str | None,
                      generator: torch.Generator | None = None, sample: bool = False) -> torch.Tensor:
    """Decode the posterior means (draws from the posterior when ``sample``), with part ``resample`` ("g", "l"
    or None) replaced by prior draws."""
    z_g, z_l = posterior.mu_g, posterior.mu_l
    if sample:
        z_g = z_g + posterior.std_g * torch.randn(z_g.shape, generator=generator)
        z_l = z_l + posterior.std_l * torch.randn(z_l.shape, generator=generator)
    if resample == "g":
        z_g = prior(len(z_g), z_g.shape[1], generator)
    elif resample == "l":
        z_l = prior(len(z_l), z_l.shape[1], generator)
    elif resample is not None:
        raise ValueError(f"resample must be 'g', 'l' or None, got {resample!r}.")
    return decode(model, z_g, z_l)


def resampling_accuracies(model: AuxVAE, classifier: nn.Module, images: torch.Tensor, labels: np.ndarray,
                          repeats: int = 3, seed: int = 0, sample: bool = False) -> dict[str, np.ndarray]:
    """The paper's Fig. 3 (section 3.1): the classifier's accuracy on the three decodes of :data:`RESAMPLED`, once
    per repeat; the parts kept are the posterior means, or draws from the posterior when ``sample``.

    Every repeat encodes the images again (a fresh shuffle for the local encoder) and draws fresh prior
    samples, so the spread over repeats is the spread of the test itself. Returns one array of ``repeats``
    accuracies per decode.
    """
    labels = np.asarray(labels)
    out: dict[str, list[float]] = {name: [] for name in RESAMPLED}
    for r in range(repeats):
        generator = torch.Generator().manual_seed(seed * 1000 + r)
        posterior = encode(model, images, generator)
        for name, part in RESAMPLED.items():
            decoded = resampled_decodes(model, posterior, part, generator, sample)
            out[name].append(judge.accuracy(classifier, decoded, labels))
    return {name: np.array(values) for name, values in out.items()}


def clusters(model: AuxGMVAE, images: torch.Tensor, batch_size: int = 500) -> np.ndarray:
    """The cluster of every image (uint8 NCHW): argmax of q(y | x), in eval mode and batches."""
    return predict(model, images, batch_size, logits=model.cluster_logits).numpy()


def cluster_grid(model: AuxGMVAE, cluster: int, columns: int = 10, rows: int = 10,
                 generator: torch.Generator | None = None) -> torch.Tensor:
    """The paper's Fig. 6 (section 3.2): decodes of one cluster y, with z_g ~ p(z_g | y) varied along the columns and
    z_l ~ N(0, I) along the rows; ``rows * columns`` images in row-major order."""
    k = model.config.k
    if not (isinstance(cluster, (int, np.integer)) and 0 <= cluster < k):
        raise ValueError(f"cluster must be an integer in [0, {k - 1}], got {cluster!r}.")
    with torch.no_grad():
        onehot = torch.nn.functional.one_hot(torch.tensor([int(cluster)]), k).float().to(_device(model))
        mu, std = (p.cpu() for p in model.prior_params(onehot))
    z_g = mu + std * prior(columns, model.config.z_g, generator)
    z_l = prior(rows, model.config.z_l, generator)
    return decode(model, z_g.repeat(rows, 1), z_l.repeat_interleave(columns, dim=0))


def kmeans(train_codes: np.ndarray, test_codes: np.ndarray, k: int, seed: int = 0) -> np.ndarray:
    """Cluster ids of ``test_codes`` from k-means (scikit-learn) fitted on ``train_codes`` alone."""
    model = KMeans(n_clusters=k, n_init=3, random_state=seed).fit(np.asarray(train_codes, dtype=np.float32))
    return model.predict(np.asarray(test_codes, dtype=np.float32))
