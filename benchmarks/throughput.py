"""Training throughput (images/s) of auxlib's pipeline against its ceiling and a naive pipeline.

    python benchmarks/throughput.py [--repeats 5] [--steps 30] [--threads 2]

(a) ceiling: the bare AuxVAE step on one fixed batch already in memory as a tensor;
(b) auxlib: ``auxlib.train``'s full step (batch sampling from the in-memory uint8 tensor, shuffle, step);
(c) naive: a torch DataLoader over a Dataset that converts each image with ToTensor and shuffles its patches one
    image at a time, then the same step.
The three run interleaved, ``--repeats`` times, so that drifts of the machine hit them alike; the script prints
the median throughput of each and the ratios (b)/(a) and (b)/(c) with their range over the repeats.
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
from auxlib import data, models, train
from auxlib.transforms import patch_shuffle


class NaiveDataset(Dataset):
    """Per-image work, as a first PyTorch port would do it: HWC uint8 -> CHW float, shuffle one image."""

    def __init__(self, images: np.ndarray, patch_size: int):
        self.images, self.patch_size = images, patch_size

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int):
        x = to_tensor(self.images[i])
        return x, patch_shuffle(x[None], self.patch_size)[0]


def timed(step, n: int, batch: int) -> float:
    step()  # warm-up: first calls allocate
    start = time.perf_counter()
    for _ in range(n):
        step()
    return n * batch / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--steps", type=int, default=30, help="timed steps per measurement")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--dataset", default="cifar10")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    cfg = auxlib.experiment("method", "standard", dataset=args.dataset, batch_size=args.batch_size)
    images = data.load(args.dataset, "train").subset(10_000).images
    model = models.build(cfg.model)
    optimiser = torch.optim.Adam(model.parameters(), lr=cfg.train.lr)
    generator = torch.Generator().manual_seed(0)
    b = cfg.train.batch_size

    tensor = train.to_tensor(images)
    labels = torch.zeros(len(tensor), dtype=torch.long)
    fixed = torch.arange(b)
    sampler = train.BatchSampler(len(tensor), b, seed=0)
    counter = iter(range(10**9))

    def ceiling():
        train.train_step(model, optimiser, tensor, labels, fixed, generator)

    def auxlib_step():
        train.train_step(model, optimiser, tensor, labels, sampler(next(counter)), generator)

    loader = DataLoader(NaiveDataset(images, cfg.model.patch_size), batch_size=b, shuffle=True, drop_last=True)
    batches = iter(loader)

    def naive():
        nonlocal batches
        try:
            x, x_hat = next(batches)
        except StopIteration:
            batches = iter(loader)
            x, x_hat = next(batches)
        loss = model.loss(x, x_hat=x_hat)["loss"]
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()

    print(f"AuxVAE, {models.count_parameters(model):,} parameters, batch {b}, {torch.get_num_threads()} threads, "
          f"{args.steps} steps x {args.repeats} repeats, device cpu, torch {torch.__version__}")
    runs = {"a": [], "b": [], "c": []}
    for _ in range(args.repeats):
        for name, step in (("a", ceiling), ("b", auxlib_step), ("c", naive)):
            runs[name].append(timed(step, args.steps, b))
    labels_ = {"a": "(a) bare step, fixed batch", "b": "(b) auxlib.train step", "c": "(c) naive DataLoader"}
    for name, values in runs.items():
        print(f"{labels_[name]:<30} {statistics.median(values):8.0f} img/s  (range {min(values):.0f}-{max(values):.0f})")
    for num, den in (("b", "a"), ("b", "c")):
        ratios = [x / y for x, y in zip(runs[num], runs[den])]
        print(f"({num})/({den}) = {statistics.median(ratios):.2f}  (range {min(ratios):.2f}-{max(ratios):.2f} "
              f"over {args.repeats} interleaved repeats)")


if __name__ == "__main__":
    main()
