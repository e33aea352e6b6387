"""What training costs in arithmetic: the FLOPs of one training step per image, counted on the real model, and
from them a lower bound on the GPU-hours the ``paper`` profile's runs would take.

The count is :class:`torch.utils.flop_counter.FlopCounterMode`'s, on one forward and backward pass of a model's
loss (the auxiliary branch included): the matrix products and convolutions, two FLOPs per multiply-add. What is
not a product (activations, normalisation, the likelihoods' elementwise arithmetic, the optimiser's update, the
scores taken during training) is not counted. Hours need a throughput: :data:`THROUGHPUT` is what a vendor
states for one GPU and :data:`UTILISATION` the share of it a step is taken to reach (all of it), so the hours
are a lower bound, never a measurement. The CPU time runs did take is in their records
(:class:`auxlib.store.Record`, :func:`auxlib.tables.compute_table`).
"""

from __future__ import annotations

import functools
from typing import Any

import pandas as pd
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from ..checks import is_number, positive_int, require
from ..model.config import RunConfig
from ..model.models import build
from .profiles import PROFILES, SETTINGS, SHARED, experiment

#: Peak throughput of one GPU in FLOP/s, as stated by the vendor: an NVIDIA H200's dense bf16 tensor-core peak.
#: NVIDIA's H200 page (nvidia.com/en-us/data-center/h200) states 1,979 TFLOPS for BF16 Tensor Core "with
#: sparsity"; dense products, as these networks compute, get half of that. The runs train in bf16 on such a GPU
#: (:func:`auxlib.devices.uses_bf16`).
THROUGHPUT = 989e12
#: Where :data:`THROUGHPUT` comes from, in words, for the sentences that quote it.
THROUGHPUT_SOURCE = "an NVIDIA H200's dense bf16 tensor-core peak as NVIDIA states it"
#: The share of :data:`THROUGHPUT` a training step is taken to reach: all of it, so that the hours are a lower
#: bound. Small convolutional networks at batch 64 launch many short kernels and reach a small share of a GPU's
#: peak, unmeasured here, so their runs take many times longer.
UTILISATION = 1.0
#: The images of the tiny batch the FLOPs are counted on; the count is linear in the batch for these networks
#: (a test checks it), so per image it does not depend on this.
COUNT_BATCH = 2
#: The chapters that train each group of :data:`auxlib.profiles.PROFILES`.
GROUP_CHAPTERS = {"method": ("method",), "classifier": SHARED["classifier"], "exp1": SHARED["auxvae"],
                  "exp2": SHARED["auxgmvae"], "placement": ("placement",)}


def step_flops(model: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> float:
    """The FLOPs of one training step of ``model`` (a model of :mod:`auxlib.models`: its ``loss``, forward and
    backward) on ``images`` (uint8, N x C x H x W) with ``labels`` (N). The gradients it leaves are cleared."""
    generator = torch.Generator(device=images.device).manual_seed(0)
    with FlopCounterMode(display=False) as counter:
        loss: Any = model.loss  # a method of auxlib's models, which nn.Module's stub types as a tensor or module
        loss(images, labels, generator=generator)["loss"].backward()
    model.zero_grad(set_to_none=True)
    return float(counter.get_total_flops())


def flops_per_image(config: RunConfig, batch: int = COUNT_BATCH) -> float:
    """The FLOPs of one training step per image of the model ``config`` describes (forward and backward of its
    loss, the auxiliary branch included), counted on the CPU on one step at ``batch`` random images and divided
    by ``batch``. Raises ValueError when ``batch`` is not a positive integer."""
    positive_int("batch", batch)
    return _per_image(config.model, batch)


@functools.cache
def _per_image(model_config: Any, batch: int) -> float:
    # building a model and its loss draw random numbers: the caller's stream is left as it was
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = build(model_config).train()
        images = torch.randint(0, 256, (batch, *model_config.image_shape), dtype=torch.uint8)
        return step_flops(model, images, torch.zeros(batch, dtype=torch.long)) / batch


def gpu_hours(config: RunConfig, throughput_flops: float = THROUGHPUT, utilisation: float = UTILISATION) -> float:
    """A lower bound on the GPU-hours one run of ``config`` takes: steps x batch x :func:`flops_per_image`, over
    ``throughput_flops`` (FLOP/s, default :data:`THROUGHPUT`) times ``utilisation`` (the share of it reached, in
    (0, 1], default :data:`UTILISATION`), in hours. Raises ValueError for a throughput that is not a positive
    number or a utilisation outside (0, 1]."""
    require(is_number(throughput_flops) and throughput_flops > 0, "throughput_flops", "a number of FLOP/s > 0",
            throughput_flops)
    require(is_number(utilisation) and 0 < utilisation <= 1, "utilisation", "a number in (0, 1]", utilisation)
    flops = config.train.steps * config.train.batch_size * flops_per_image(config)
    return flops / (throughput_flops * utilisation) / 3600


def paper_runs() -> dict[str, tuple[int, str]]:
    """The runs of each group of :data:`auxlib.profiles.PROFILES` at the ``paper`` profile that its settings name,
    with what they are: Experiment 1's AuxVAE over exp1_2's seeds, Experiment 2's AuxGMVAEs over exp2_1's seeds
    (k = 30, then k = 10), placement's grid of patch sizes and β; one run for the others. Baselines, sweeps and
    longer runs that chapters train besides are not counted."""
    exp1_2, exp2_1, grid = SETTINGS["exp1_2"]["paper"], SETTINGS["exp2_1"]["paper"], SETTINGS["placement"]["paper"]
    seeds = exp2_1["seeds"] + exp2_1["k10_seeds"]
    return {"method": (1, "one run"), "classifier": (1, "one run"),
            "exp1": (1 + len(exp1_2["extra_seeds"]), "exp1_2's seeds"),
            "exp2": (len(seeds), f"exp2_1's seeds: {len(exp2_1['seeds'])} at k = 30, {len(exp2_1['k10_seeds'])} "
                                 "at k = 10"),
            "placement": (len(grid["patch_sizes"]) * len(grid["betas"]), "its patch size x β grid")}


def paper_estimate(dataset: str = "svhn", throughput_flops: float = THROUGHPUT,
                   utilisation: float = UTILISATION) -> pd.DataFrame:
    """A lower bound on the GPU-hours of the ``paper`` profile, one row per group of
    :data:`auxlib.profiles.PROFILES` (each group's network on ``dataset``): the chapters that train it, its runs
    (:func:`paper_runs`) and what they are, steps, batch, GFLOPs per image (:func:`flops_per_image`) and the
    estimated GPU-hours of all its runs (:func:`gpu_hours` at ``throughput_flops`` and ``utilisation``)."""
    counted = paper_runs()
    rows = {}
    for group in PROFILES:
        config = experiment(group, "paper", dataset=dataset)
        runs, what = counted.get(group, (1, "one run"))
        rows[group] = {"network": type(config.model).__name__.removesuffix("Config"),
                       "chapters": ", ".join(GROUP_CHAPTERS.get(group, (group,))), "runs": runs, "runs are": what,
                       "steps": config.train.steps, "batch": config.train.batch_size,
                       "GFLOPs per image": flops_per_image(config) / 1e9,
                       "GPU-hours at peak (lower bound)": runs * gpu_hours(config, throughput_flops, utilisation)}
    return pd.DataFrame.from_dict(rows, orient="index")


def estimate_note(estimate: pd.DataFrame) -> str:
    """The results page's sentence on :func:`paper_estimate` (``estimate``): that it is an estimate and on what
    assumptions (:data:`THROUGHPUT`, :data:`UTILISATION`), and its total GPU-hours over the runs it counts."""
    runs, hours = int(estimate["runs"].sum()), float(estimate["GPU-hours at peak (lower bound)"].sum())
    return (f"These GPU-hours are a lower bound, not a measurement: each network's FLOPs per image are counted by "
            f"PyTorch's `FlopCounterMode` on one training step (forward and backward, the auxiliary branch "
            f"included; products only), and turned into time at {THROUGHPUT / 1e12:,.0f} TFLOP/s, "
            f"{THROUGHPUT_SOURCE}, as if a step reached {UTILISATION:.0%} of it. Networks this small "
            f"are held back more by launching kernels and moving memory and reach a small share of that peak, so "
            f"their runs take many times longer. At the peak, the {runs} runs counted take {hours:.3g} GPU-hours "
            f"together; the baselines, sweeps and longer runs that chapters train besides are not counted.")
