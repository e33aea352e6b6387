"""Training throughput (images/s) of auxlib's step against a naive eager PyTorch port of the same network.

    python benchmarks/throughput.py [--arch compact|split] [--device cpu|cuda] [--repeats 5] [--steps 20]
                                    [--threads 2] [--compile]

(a) naive port: the same network in the default (NCHW) memory layout, the likelihood composed of autograd ops,
    torch's default Adam, fp32; batches drawn from the in-memory uint8 tensor as auxlib does;
(b) auxlib: ``auxlib.train``'s step in fp32 (channels_last data and weights, fused likelihood, fused Adam);
(b16) the same with bf16 autocast (``precision="bf16"``), which pays where the hardware has bf16 units;
(c) the naive step fed by a torch DataLoader whose Dataset converts and shuffles one image at a time;
(bc) with ``--compile``: (b) through ``torch.compile``, after a warm-up whose time is printed.
They run interleaved, ``--repeats`` times, so that drifts of the machine hit them alike; the script prints the
median throughput of each and the ratios to (a) with their range over the repeats, and writes them to
``<results>/throughput_<arch>_<device>.json`` (``--no-save`` to skip), which the results page shows.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset
from torchvision.transforms.functional import to_tensor

import auxlib
from auxlib import data, devices, likelihoods, models, results, train
from auxlib.model.transforms import patch_shuffle


class NaiveDataset(Dataset):
    """Per-image work, as a first PyTorch port would do it: HWC uint8 -> CHW float, shuffle one image."""

    def __init__(self, images: np.ndarray, patch_size: int):
        self.images, self.patch_size = images, patch_size

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int):
        x = to_tensor(self.images[i])
        return x, patch_shuffle(x[None], self.patch_size)[0]


def synchronize(device: torch.device) -> None:
    """Wait for the device's queued work, so that a clock reading counts it."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(step, n: int, batch: int, device: torch.device) -> float:
    step()  # warm-up: first calls allocate
    synchronize(device)
    start = time.perf_counter()
    for _ in range(n):
        step()
    synchronize(device)
    return n * batch / (time.perf_counter() - start)


def naive_model(config) -> torch.nn.Module:
    """The network as a direct port builds it: NCHW, the likelihood as plain autograd ops."""
    model = models.build(config)
    model.likelihood = likelihoods.DiscretisedLogistic(fused=False)
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--arch", default="compact", choices=auxlib.config.ARCHS)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--steps", type=int, default=20, help="timed steps per measurement")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--dataset", default="cifar10")
    parser.add_argument("--compile", action="store_true", help="also time (b) through torch.compile")
    parser.add_argument("--no-save", action="store_true", help="print only; do not write the results file")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)

    # compact: the method chapter's network at the standard profile; split: the paper profile's, 128 + 128 latents
    profile = "paper" if args.arch == "split" else "standard"
    cfg = auxlib.experiment("method", profile, dataset=args.dataset, arch=args.arch, batch_size=args.batch_size)
    images = data.load(args.dataset, "train").subset(10_000).images
    b = cfg.train.batch_size
    tensor = data.to_tensor(images, device)
    tensor_cl = data.to_tensor(images, device, channels_last=True)  # how auxlib.train holds the data set
    labels = torch.zeros(len(tensor), dtype=torch.long, device=device)
    sampler = train.BatchSampler(len(tensor), b, seed=0)
    counter = iter(range(10**9))

    torch.manual_seed(0)
    naive = naive_model(cfg.model).to(device)
    naive_opt = torch.optim.Adam(naive.parameters(), lr=cfg.train.lr)

    def naive_step(x: torch.Tensor, x_hat: torch.Tensor | None = None) -> None:
        loss = naive.loss(x, x_hat=x_hat)["loss"]
        naive_opt.zero_grad(set_to_none=True)
        loss.backward()
        naive_opt.step()

    def auxlib_step(precision: str, compiled: bool = False):
        torch.manual_seed(0)
        model = models.build(cfg.model).to(device, memory_format=torch.channels_last)
        objective = train.Objective(model)
        objective = torch.compile(objective) if compiled else objective
        optimiser = train.make_optimiser(model, cfg.train.lr)
        generator = torch.Generator(device).manual_seed(0)
        bf16 = devices.uses_bf16(precision, device)
        return lambda: train.train_step(objective, optimiser, tensor_cl, labels, sampler(next(counter)), generator,
                                        bf16)

    loader = DataLoader(NaiveDataset(images, cfg.model.patch_size), batch_size=b, shuffle=True, drop_last=True)
    batches = iter(loader)

    def dataloader_step():
        nonlocal batches
        try:
            x, x_hat = next(batches)
        except StopIteration:
            batches = iter(loader)
            x, x_hat = next(batches)
        naive_step(x.to(device), x_hat.to(device))

    steps = {"a": lambda: naive_step(tensor[sampler(next(counter)).to(device)]), "b": auxlib_step("fp32"),
             "b16": auxlib_step("bf16"), "c": dataloader_step}
    titles = {"a": "(a) naive eager port", "b": "(b) auxlib step, fp32", "b16": "(b16) auxlib step, bf16 autocast",
              "c": "(c) naive port + DataLoader", "bc": "(bc) auxlib step, torch.compile"}
    if args.compile:
        steps["bc"] = auxlib_step("fp32", compiled=True)
        start = time.perf_counter()
        steps["bc"]()
        synchronize(device)
        print(f"torch.compile warm-up (first step): {time.perf_counter() - start:.1f} s")

    where = (torch.cuda.get_device_name(device) if device.type == "cuda" else
             f"cpu ({torch.backends.cpu.get_cpu_capability()}, AVX512-BF16: {torch.cpu._is_avx512_bf16_supported()}, "
             f"AMX: {torch.cpu._is_amx_tile_supported()})")
    print(f"arch {args.arch}: AuxVAE with {models.count_parameters(naive):,} parameters, batch {b}, "
          f"{torch.get_num_threads()} threads, {args.steps} steps x {args.repeats} interleaved repeats, {where}, "
          f"torch {torch.__version__}")
    runs: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(args.repeats):
        for name, step in steps.items():
            runs[name].append(timed(step, args.steps, b, device))
    for name, values in runs.items():
        print(f"{titles[name]:<36} {statistics.median(values):7.0f} img/s  (range {min(values):.0f}-{max(values):.0f})")
    for name in [n for n in runs if n != "a"]:
        ratios = [x / y for x, y in zip(runs[name], runs["a"])]
        print(f"({name})/(a) = {statistics.median(ratios):.2f}  (range {min(ratios):.2f}-{max(ratios):.2f})")
    if not args.no_save:
        path = results.save(f"{results.THROUGHPUT}{args.arch}_{args.device}", {
            "arch": args.arch, "device": where, "parameters": models.count_parameters(naive), "batch_size": b,
            "threads": torch.get_num_threads(), "steps": args.steps, "repeats": args.repeats,
            "images_per_second": {titles[name]: values for name, values in runs.items()}})
        print(f"written to {path}")


if __name__ == "__main__":
    main()
