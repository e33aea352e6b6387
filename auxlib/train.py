"""One training loop for every model, with checkpoints, resume and a run cache.

A run lives in ``<runs root>/<config key>/``: ``checkpoint.pt`` while it trains (written atomically every
``checkpoint_every`` steps), then ``model.pt`` and ``run.json`` once it has finished. Asking again for a finished
config loads it instead of training; asking for an unfinished one resumes from its checkpoint, and the result
equals that of an uninterrupted run. The runs root is the ``root`` argument, else ``$AUXLIB_RUNS``, else
``~/.cache/auxlib/runs``.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import time
import warnings
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from . import data as datasets
from .config import RunConfig, _positive_int
from .io import atomic_path
from .models import build

CHECKPOINT = "checkpoint.pt"
WEIGHTS = "model.pt"
RECORD = "run.json"


@dataclass
class Run:
    """A trained model with its config, loss history (one row per ``log_every`` steps) and training time."""

    config: RunConfig
    model: nn.Module
    history: list[dict[str, float]]
    seconds: float
    path: Path


def resolve_device(name: str = "auto") -> torch.device:
    """``auto`` picks cuda, then mps, then cpu."""
    if name != "auto":
        return torch.device(name)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def runs_root(root: str | os.PathLike | None = None) -> Path:
    """The run cache: ``root``, else ``$AUXLIB_RUNS``, else ``~/.cache/auxlib/runs``."""
    if root is not None:
        return Path(root)
    return Path(os.environ.get("AUXLIB_RUNS", Path.home() / ".cache" / "auxlib" / "runs"))


def to_tensor(images: np.ndarray, device: torch.device | str = "cpu") -> torch.Tensor:
    """NHWC uint8 array to a contiguous NCHW uint8 tensor on ``device``."""
    return torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).contiguous().to(device)


class BatchSampler:
    """Batch indices for each step: every epoch is a fresh permutation, drawn from (seed, epoch) alone.

    Because the order depends only on the step number, a resumed run sees exactly the batches an
    uninterrupted one would, without saving the permutation. The last partial batch of an epoch is dropped.
    """

    def __init__(self, n: int, batch_size: int, seed: int):
        if n < 1:
            raise ValueError("the training set must hold at least one image, got 0.")
        self.n, self.batch_size, self.seed = n, min(batch_size, n), seed
        self.per_epoch = n // self.batch_size
        self._epoch, self._perm = -1, torch.empty(0, dtype=torch.long)

    def __call__(self, step: int) -> torch.Tensor:
        epoch, position = divmod(step, self.per_epoch)
        if epoch != self._epoch:
            generator = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
            self._epoch, self._perm = epoch, torch.randperm(self.n, generator=generator)
        return self._perm[position * self.batch_size:(position + 1) * self.batch_size]


def train_step(model: nn.Module, optimiser: torch.optim.Optimizer, images: torch.Tensor, labels: torch.Tensor,
               index: torch.Tensor, generator: torch.Generator) -> dict[str, float]:
    """One optimisation step on the batch ``images[index]``; returns the loss terms as floats.

    Raises FloatingPointError (before touching the weights) when the loss is not finite.
    """
    index = index.to(images.device)
    terms = model.loss(images[index], labels[index], generator=generator)
    values = dict(zip(terms, torch.stack([t.detach().float() for t in terms.values()]).tolist()))
    if not np.isfinite(values["loss"]):
        raise FloatingPointError(f"the loss became {values['loss']}")
    optimiser.zero_grad(set_to_none=True)
    terms["loss"].backward()
    optimiser.step()
    return values


def train(config: RunConfig, data: datasets.ImageSet | None = None, *, root: str | os.PathLike | None = None,
          progress: bool = True) -> Run:
    """Train the model ``config`` describes on its data set's train split, or load the finished run.

    Args:
        config: the run (model, training and data settings).
        data: the training data, if already in memory: the train split of ``config.dataset``; it is cut to
            ``config.n_train`` here. Loaded with :func:`auxlib.data.load` when None.
        root: run cache folder (see :func:`runs_root`).
        progress: show a tqdm progress bar with the loss terms.
    """
    folder = runs_root(root) / config.key()
    if (folder / RECORD).exists():
        try:
            return load_run(folder, device=config.train.device)
        except Exception as error:  # a damaged cache entry is retrained, not fatal
            _set_aside([folder / RECORD, folder / WEIGHTS], error)
    if data is None:
        data = datasets.load(config.dataset, "train")
    data = data.subset(config.n_train)
    tc = config.train
    device = resolve_device(tc.device)
    images = to_tensor(data.images, device)
    labels = torch.from_numpy(np.asarray(data.labels)).to(device)

    torch.manual_seed(tc.seed)
    model = build(config.model).to(device)
    optimiser = torch.optim.Adam(model.parameters(), lr=tc.lr)
    shuffle_rng = torch.Generator(device=device).manual_seed(tc.seed)
    state = {"step": 0, "history": [], "seconds": 0.0, "sums": {}, "count": 0}
    checkpoint = folder / CHECKPOINT
    if checkpoint.exists():
        state = _resume(checkpoint, model, optimiser, shuffle_rng) or state

    sampler = BatchSampler(len(data), tc.batch_size, tc.seed)
    model.train()
    start = time.perf_counter() - state["seconds"]
    bar = tqdm(range(state["step"], tc.steps), initial=state["step"], total=tc.steps, disable=not progress,
               desc=f"train {config.key()}", mininterval=2.0)
    for step in bar:
        if hasattr(model, "set_step"):  # models with a schedule (the AuxGMVAE's temperature)
            model.set_step(step)
        try:
            values = train_step(model, optimiser, images, labels, sampler(step), shuffle_rng)
        except FloatingPointError as error:
            last = f"the last good checkpoint is {checkpoint}" if checkpoint.exists() else "no checkpoint was written yet"
            raise FloatingPointError(f"{error} at step {step + 1} of run {folder}; {last}. Lower lr (now {tc.lr}) "
                                     "or check the data.") from None
        for k, v in values.items():
            state["sums"][k] = state["sums"].get(k, 0.0) + v
        state["count"] += 1
        done = step + 1
        if done % tc.log_every == 0 or done == tc.steps:
            row = {"step": done, **{k: v / state["count"] for k, v in state["sums"].items()}}
            state["history"].append(row)
            state["sums"], state["count"] = {}, 0
            bar.set_postfix({k: f"{v:.4g}" for k, v in row.items() if k != "step"}, refresh=False)
        if done % tc.checkpoint_every == 0 and done < tc.steps:
            state.update(step=done, seconds=time.perf_counter() - start)
            _save_checkpoint(checkpoint, model, optimiser, shuffle_rng, state, config)
    bar.close()
    seconds = time.perf_counter() - start
    _save_finished(folder, model, config, state["history"], seconds)
    checkpoint.unlink(missing_ok=True)
    return Run(config, model.eval(), state["history"], seconds, folder)


def train_all(configs: Sequence[RunConfig], *, workers: int = 1, root: str | os.PathLike | None = None,
              progress: bool = True) -> list[Run]:
    """Train (or load) several runs, ``workers`` at a time, and return them in the order given.

    With ``workers`` > 1 each run trains in its own process with the machine's torch threads shared out between
    them: on a CPU, small models gain more from running side by side than from more threads each. Every run
    checkpoints as :func:`train` does, so an interrupted call resumes where it stopped. A progress bar counts
    finished runs.
    """
    _positive_int("workers", workers)
    configs, folder = list(configs), runs_root(root)
    unique = list(dict.fromkeys(configs))
    pending = [c for c in unique if not (folder / c.key() / RECORD).exists()]
    bar = tqdm(total=len(unique), initial=len(unique) - len(pending), disable=not progress, desc="runs")
    if workers == 1 or len(pending) < 2:
        for config in pending:
            train(config, root=folder, progress=progress)
            bar.update()
    else:
        threads = max(1, torch.get_num_threads() // workers)
        context = multiprocessing.get_context("spawn")  # fork would copy the parent's torch thread pools
        with ProcessPoolExecutor(min(workers, len(pending)), mp_context=context, initializer=torch.set_num_threads,
                                 initargs=(threads,)) as pool:
            for done in as_completed([pool.submit(_train_quietly, c, folder) for c in pending]):
                done.result()  # re-raises a worker's error here
                bar.update()
    bar.close()
    return [load_run(folder / c.key(), device=c.train.device) for c in configs]


def _train_quietly(config: RunConfig, root: Path) -> None:
    train(config, root=root, progress=False)


def _rng_states(shuffle_rng: torch.Generator) -> dict[str, Any]:
    states = {"torch": torch.get_rng_state(), "shuffle": shuffle_rng.get_state()}
    if torch.cuda.is_available():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def _save_checkpoint(path: Path, model: nn.Module, optimiser: torch.optim.Optimizer, shuffle_rng: torch.Generator,
                     state: dict[str, Any], config: RunConfig) -> None:
    payload = {"model": model.state_dict(), "optimiser": optimiser.state_dict(), "rng": _rng_states(shuffle_rng),
               "state": state, "config": config.to_dict()}
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)


def _resume(path: Path, model: nn.Module, optimiser: torch.optim.Optimizer,
            shuffle_rng: torch.Generator) -> dict[str, Any] | None:
    """Restore a checkpoint into the model and optimiser; None (and a warning) if it cannot be read."""
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
        model.load_state_dict(payload["model"])
        optimiser.load_state_dict(payload["optimiser"])
    except Exception as error:
        _set_aside([path], error)
        return None
    torch.set_rng_state(payload["rng"]["torch"])
    shuffle_rng.set_state(payload["rng"]["shuffle"])
    if "cuda" in payload["rng"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(payload["rng"]["cuda"])
    return payload["state"]


def _set_aside(paths: list[Path], error: Exception) -> None:
    """Rename unreadable run files to ``*.corrupt`` so that the run starts afresh, and say so."""
    for path in paths:
        if path.exists():
            shutil.move(path, path.with_name(path.name + ".corrupt"))
    names = " and ".join(p.name for p in paths)
    warnings.warn(f"{names} in {paths[0].parent} could not be read ({type(error).__name__}: {error}); renamed to "
                  "*.corrupt, the run trains again from the start.", stacklevel=3)


def _save_finished(folder: Path, model: nn.Module, config: RunConfig, history: list[dict[str, float]],
                   seconds: float) -> None:
    with atomic_path(folder / WEIGHTS) as tmp:
        torch.save(model.state_dict(), tmp)
    record = {"config": config.to_dict(), "history": history, "seconds": seconds, "torch": torch.__version__}
    with atomic_path(folder / RECORD) as tmp:
        tmp.write_text(json.dumps(record, indent=1))


def load_run(path: str | os.PathLike, device: str = "auto") -> Run:
    """Load a finished run from its folder (weights are read with ``weights_only=True``)."""
    path = Path(path)
    record = json.loads((path / RECORD).read_text())
    config = RunConfig.from_dict(record["config"])
    model = build(config.model)
    model.load_state_dict(torch.load(path / WEIGHTS, map_location="cpu", weights_only=True))
    return Run(config, model.to(resolve_device(device)).eval(), record["history"], record["seconds"], path)
