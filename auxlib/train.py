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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
from torch import nn
from tqdm import tqdm

from . import data as datasets
from . import monitor
from .checks import positive_int
from .config import RunConfig
from .io import atomic_path
from .models import build

CHECKPOINT = "checkpoint.pt"
WEIGHTS = "model.pt"
RECORD = "run.json"
#: An unfinished run's record, written with each checkpoint: its curves can be read while it trains.
PROGRESS = "progress.json"


@dataclass
class Run:
    """A trained model with its config, loss history (one row per ``log_every`` steps), training time in seconds,
    and its scores during training (one row per ``score_every`` steps, :mod:`auxlib.monitor`; empty without)."""

    config: RunConfig
    model: nn.Module
    history: list[dict[str, float]]
    seconds: float
    path: Path
    scores: list[dict[str, float]] = field(default_factory=list)


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


def to_tensor(images: np.ndarray, device: torch.device | str = "cpu", channels_last: bool = False) -> torch.Tensor:
    """NHWC uint8 array to an NCHW uint8 tensor on ``device``: contiguous, or in channels_last memory order (the
    array's own, so no copy), which keeps a training batch in the layout the model's convolutions run in."""
    tensor = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2)
    return tensor.contiguous(memory_format=torch.channels_last if channels_last else torch.contiguous_format).to(device)


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


@dataclass(frozen=True)
class World:
    """This process's place in a ``torchrun`` launch: rank ``rank`` of ``size`` processes, computing on ``device``."""

    rank: int
    size: int
    device: torch.device


def torchrun_rank() -> tuple[int, int]:
    """(rank, number of processes) of a ``torchrun`` launch as its environment gives them; (0, 1) otherwise."""
    return int(os.environ.get("RANK", "0")), int(os.environ.get("WORLD_SIZE", "1"))


def world(device: str = "auto") -> World:
    """Rank 0 of 1 in a plain process; under ``torchrun`` (``WORLD_SIZE`` > 1) the process group is initialised here
    the first time, with NCCL on GPUs (one per process, by ``LOCAL_RANK``) and gloo on CPUs."""
    size = torchrun_rank()[1]
    chosen = resolve_device(device)
    if size == 1:
        return World(0, 1, chosen)
    if chosen.type not in ("cpu", "cuda"):
        raise ValueError(f"device must be cpu or cuda for a torchrun launch of {size} processes, got {chosen.type}.")
    if chosen.type == "cuda":
        chosen = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(chosen)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if chosen.type == "cuda" else "gloo")
    return World(dist.get_rank(), dist.get_world_size(), chosen)


def uses_bf16(precision: str, device: torch.device) -> bool:
    """Whether a run at ``precision`` computes in bf16 autocast. ``auto`` means where the hardware has bf16 units:
    a CUDA GPU that supports bf16, or a CPU with AVX512-BF16 or AMX (elsewhere bf16 is emulated, and slower)."""
    if precision != "auto":
        return precision == "bf16"
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    return device.type == "cpu" and (torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())


class Objective(nn.Module):
    """A model's loss as ``forward``, the call that DistributedDataParallel and ``torch.compile`` wrap."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor, y: torch.Tensor, generator: torch.Generator) -> dict[str, torch.Tensor]:
        return self.model.loss(x, y, generator=generator)


def train_step(objective: nn.Module, optimiser: torch.optim.Optimizer, images: torch.Tensor, labels: torch.Tensor,
               index: torch.Tensor, generator: torch.Generator, bf16: bool = False) -> dict[str, torch.Tensor]:
    """One optimisation step on the batch ``images[index]``; returns the loss terms, detached, on the device.

    Nothing here waits for the device: the trainer reads the terms (and checks that the loss is finite) once
    per log row.
    """
    index = index.to(images.device)
    with torch.autocast(images.device.type, dtype=torch.bfloat16, enabled=bf16):
        terms = objective(images[index], labels[index], generator)
    optimiser.zero_grad(set_to_none=True)
    terms["loss"].backward()
    optimiser.step()
    return {k: v.detach().float() for k, v in terms.items()}


def make_optimiser(model: nn.Module, lr: float) -> torch.optim.Adam:
    """Adam, with the fused (one kernel for all parameters) update where the device has it."""
    device = next(model.parameters()).device
    return torch.optim.Adam(model.parameters(), lr=lr, fused=device.type in ("cpu", "cuda"))


def train(config: RunConfig, data: datasets.ImageSet | None = None, *, root: str | os.PathLike | None = None,
          progress: bool = True) -> Run:
    """Train the model ``config`` describes on its data set's train split, or load the finished run.

    Under ``torchrun`` every process calls this with the same config: each takes its 1/N share of every global
    batch (disjoint shards of each epoch), DistributedDataParallel averages the gradients, and rank 0 alone writes
    the checkpoints and the finished run.

    Args:
        config: the run (model, training and data settings).
        data: the training data, if already in memory: the train split of ``config.dataset`` (and its extra
            split after it when ``config.extra``); it is cut to ``config.n_train`` here. Loaded with
            :func:`auxlib.data.load_training` when None.
        root: run cache folder (see :func:`runs_root`).
        progress: show a tqdm progress bar with the loss terms (on rank 0).
    """
    folder = runs_root(root) / config.key()
    tc = config.train
    place = world(tc.device)
    if (folder / RECORD).exists():
        try:
            return load_run(folder, device=str(place.device))
        except Exception as error:  # a damaged cache entry is retrained, not fatal
            _set_aside([folder / RECORD, folder / WEIGHTS], error)
    if data is None:
        data = datasets.load_training(config.dataset, config.extra)
    if config.where is not None:
        data = data.where(*config.where)
    data = data.subset(config.n_train)
    device, lead = place.device, place.rank == 0
    sampler = BatchSampler(len(data), tc.batch_size, tc.seed)
    if sampler.batch_size % place.size:
        raise ValueError(f"batch_size must be divisible by the {place.size} processes of this torchrun launch, got "
                         f"{sampler.batch_size}.")
    share = sampler.batch_size // place.size
    images = to_tensor(data.images, device, channels_last=True)
    labels = torch.from_numpy(np.asarray(data.labels)).to(device)

    # The judge trains (or loads) before the seed is set, since building it draws initial weights, and on every
    # rank, since under torchrun training is collective.
    judge = train(config.judge, root=root, progress=progress).model if config.judge and tc.score_every else None
    torch.manual_seed(tc.seed)
    model = build(config.model).to(device, memory_format=torch.channels_last)  # faster convolutions on CPU and GPU
    optimiser = make_optimiser(model, tc.lr)
    if place.rank:  # rank 0 draws what a single process would; the others draw their own noise and shuffles
        torch.manual_seed(tc.seed + 1_000_003 * place.rank)
    shuffle_rng = torch.Generator(device=device).manual_seed(tc.seed + 1_000_003 * place.rank)
    state = {"step": 0, "history": [], "scores": [], "seconds": 0.0, "sums": {}, "count": 0}
    checkpoint = folder / CHECKPOINT
    if checkpoint.exists():
        state = {**state, **(_resume(checkpoint, model, optimiser, shuffle_rng, place) or {})}
    score = monitor.for_model(model, data, tc.score_images, device, judge) if tc.score_every and lead else None

    objective: nn.Module = Objective(model)
    if place.size > 1:
        ids = [device] if device.type == "cuda" else None
        objective = nn.parallel.DistributedDataParallel(objective, device_ids=ids)
        if lead:
            print(f"torchrun: {place.size} processes x {share} images = global batch {sampler.batch_size}, "
                  f"lr {tc.lr} (as configured, for that global batch)")
    if tc.compile:
        objective = torch.compile(objective)
    bf16 = uses_bf16(tc.precision, device)
    model.train()
    start = time.perf_counter() - state["seconds"]
    deadline = None if tc.max_minutes is None else time.perf_counter() + 60 * tc.max_minutes
    bar = tqdm(range(state["step"], tc.steps), initial=state["step"], total=tc.steps, disable=not (progress and lead),
               desc=f"train {config.key()}", mininterval=2.0)
    pending: list[torch.Tensor] = []
    names: list[str] = []
    for step in bar:
        if hasattr(model, "set_step"):  # models with a schedule (KL warm-up, the AuxGMVAE's temperature)
            model.set_step(step)
        if tc.lr_decay != 1.0:  # [SPLIT]'s staircase decay, a function of the step alone, so resumes are exact
            for group in optimiser.param_groups:
                group["lr"] = tc.lr * tc.lr_decay ** (step // tc.lr_decay_every)
        index = sampler(step)[place.rank * share:(place.rank + 1) * share]
        terms = train_step(objective, optimiser, images, labels, index, shuffle_rng, bf16)
        names = list(terms)
        pending.append(torch.stack(list(terms.values())))
        done = step + 1
        at_row = done % tc.log_every == 0 or done == tc.steps
        at_checkpoint = done % tc.checkpoint_every == 0 and done < tc.steps
        if at_row or at_checkpoint:
            _collect(pending, names, done, state, place, folder, tc.lr)
            pending = []
        if at_row:
            row = {"step": done, **{k: v / state["count"] for k, v in state["sums"].items()}}
            state["history"].append(row)
            state["sums"], state["count"] = {}, 0
            bar.set_postfix({k: f"{v:.4g}" for k, v in row.items() if k != "step"}, refresh=False)
        if score is not None and (done % tc.score_every == 0 or done == tc.steps):
            state["scores"].append({"step": done, "images": done * sampler.batch_size, **score(model)})
        if at_checkpoint:
            state.update(step=done, seconds=time.perf_counter() - start)
            _save_checkpoint(checkpoint, model, optimiser, shuffle_rng, state, config, place)
        if done < tc.steps and _past(deadline, place, now=place.size == 1 or at_row):
            if pending:
                _collect(pending, names, done, state, place, folder, tc.lr)
            state.update(step=done, seconds=time.perf_counter() - start)
            _save_checkpoint(checkpoint, model, optimiser, shuffle_rng, state, config, place)
            bar.close()
            raise TimeLimitReached(f"run {folder} stopped at its time limit of {tc.max_minutes:g} minutes, after "
                                   f"step {done:,} of {tc.steps:,}; run the same command again to continue from "
                                   f"its checkpoint.")
    bar.close()
    seconds = time.perf_counter() - start
    if lead:
        _save_finished(folder, model, config, state, seconds)
        checkpoint.unlink(missing_ok=True)
        (folder / PROGRESS).unlink(missing_ok=True)
    if place.size > 1:
        dist.barrier()  # the other ranks return once the run is on disk
    model = model.to(memory_format=torch.contiguous_format)
    return Run(config, model.eval(), state["history"], seconds, folder, state["scores"])


class TimeLimitReached(RuntimeError):
    """A run stopped at its ``max_minutes`` (:class:`auxlib.config.TrainConfig`), with a checkpoint to resume from."""


def _past(deadline: float | None, place: World, now: bool) -> bool:
    """Whether the time limit has passed. Under torchrun the ranks decide together (rank 0's clock), and only on
    the steps where ``now`` (the logged ones), so that all of them stop after the same step."""
    if deadline is None or not now:
        return False
    late = time.perf_counter() >= deadline
    if place.size > 1:
        flag = torch.tensor([float(late)], device=place.device)
        dist.broadcast(flag, src=0)
        late = bool(flag.item())
    return late


def _collect(pending: list[torch.Tensor], names: list[str], done: int, state: dict[str, Any], place: World,
             folder: Path, lr: float) -> None:
    """Add the loss terms of the steps up to ``done`` to the running sums (averaged over the ranks), in one read
    from the device; raise FloatingPointError naming the first step whose loss is not finite."""
    rows = torch.stack(pending)
    if place.size > 1:
        dist.all_reduce(rows)
        rows /= place.size
    rows = rows.double().cpu()
    finite = torch.isfinite(rows[:, names.index("loss")])
    if not finite.all():
        first = int((~finite).nonzero()[0])
        step = done - len(rows) + first + 1
        checkpoint = folder / CHECKPOINT
        last = f"the last good checkpoint is {checkpoint}" if checkpoint.exists() else "no checkpoint was written yet"
        raise FloatingPointError(f"the loss became {rows[first, names.index('loss')].item()} at step {step} of run "
                                 f"{folder}; {last}. Lower lr (now {lr}) or check the data.")
    for name, total in zip(names, rows.sum(0).tolist()):
        state["sums"][name] = state["sums"].get(name, 0.0) + total
    state["count"] += len(rows)


def train_all(configs: Sequence[RunConfig], *, workers: int = 1, root: str | os.PathLike | None = None,
              progress: bool = True) -> list[Run]:
    """Train (or load) several runs, ``workers`` at a time, and return them in the order given.

    With ``workers`` > 1 each run trains in its own process with the machine's torch threads shared out between
    them: on a CPU, small models gain more from running side by side than from more threads each. Every run
    checkpoints as :func:`train` does, so an interrupted call resumes where it stopped. A progress bar counts
    finished runs. Under ``torchrun`` the runs train one after the other, each on all the launched processes.
    """
    positive_int("workers", workers)
    rank, size = torchrun_rank()
    if size > 1 and workers > 1:
        raise ValueError(f"workers must be 1 under torchrun (its {size} processes share each run), got {workers}.")
    configs, folder = list(configs), runs_root(root)
    unique = list(dict.fromkeys(configs))
    pending = [c for c in unique if not (folder / c.key() / RECORD).exists()]
    for judge in dict.fromkeys(c.judge for c in pending if c.judge and c.train.score_every):
        train(judge, root=folder, progress=progress)  # before the workers start, so that they share it
    bar = tqdm(total=len(unique), initial=len(unique) - len(pending), disable=not progress or rank > 0, desc="runs")
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
                     state: dict[str, Any], config: RunConfig, place: World) -> None:
    """Rank 0 writes the weights, the optimiser, the training state and every rank's random number states."""
    rng = [_rng_states(shuffle_rng)]
    if place.size > 1:
        rng = [None] * place.size
        dist.all_gather_object(rng, _rng_states(shuffle_rng))
    if place.rank == 0:
        payload = {"model": model.state_dict(), "optimiser": optimiser.state_dict(), "rng": rng, "state": state,
                   "config": config.to_dict()}
        with atomic_path(path) as tmp:
            torch.save(payload, tmp)
        _write_record(path.parent / PROGRESS, model, config, state, state["seconds"])


def _resume(path: Path, model: nn.Module, optimiser: torch.optim.Optimizer, shuffle_rng: torch.Generator,
            place: World) -> dict[str, Any] | None:
    """Restore a checkpoint into the model and optimiser; None (and a warning) if it cannot be read.

    The random number states are restored when the checkpoint has one per rank of this launch; a run resumed on
    a different number of processes continues with fresh ones (and says so).
    """
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
        model.load_state_dict(payload["model"])
        optimiser.load_state_dict(payload["optimiser"])
    except Exception as error:
        _set_aside([path], error)
        return None
    rng = payload["rng"] if isinstance(payload["rng"], list) else [payload["rng"]]
    if len(rng) != place.size:
        warnings.warn(f"{path} was written by {len(rng)} processes and is resumed by {place.size}: the weights and "
                      "the step carry over, the random draws start afresh.", stacklevel=3)
        return payload["state"]
    mine = rng[place.rank]
    torch.set_rng_state(mine["torch"])
    shuffle_rng.set_state(mine["shuffle"])
    if "cuda" in mine and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(mine["cuda"])
    return payload["state"]


def _set_aside(paths: list[Path], error: Exception) -> None:
    """Rename unreadable run files to ``*.corrupt`` so that the run starts afresh, and say so."""
    for path in paths:
        if path.exists():
            shutil.move(path, path.with_name(path.name + ".corrupt"))
    names = " and ".join(p.name for p in paths)
    warnings.warn(f"{names} in {paths[0].parent} could not be read ({type(error).__name__}: {error}); renamed to "
                  "*.corrupt, the run trains again from the start.", stacklevel=3)


def _write_record(path: Path, model: nn.Module, config: RunConfig, state: dict[str, Any], seconds: float) -> None:
    """The run's record (config, loss history, scores, seconds, hardware) as JSON, at ``path``."""
    device = next(model.parameters()).device
    hardware = (torch.cuda.get_device_name(device) if device.type == "cuda"
                else f"{device.type}, {os.cpu_count()} cores")
    record = {"config": config.to_dict(), "history": state["history"], "scores": state["scores"],
              "seconds": seconds, "hardware": hardware, "torch": torch.__version__}
    if path.name == PROGRESS:
        record["step"] = state["step"]
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(record, indent=1))


def _save_finished(folder: Path, model: nn.Module, config: RunConfig, state: dict[str, Any], seconds: float) -> None:
    with atomic_path(folder / WEIGHTS) as tmp:
        torch.save(model.state_dict(), tmp)
    _write_record(folder / RECORD, model, config, state, seconds)


@dataclass
class Record:
    """What a finished run leaves besides its weights: the config, the loss history, the scores during training,
    the training time in seconds and the hardware it ran on. A few kilobytes, so it can be kept with the book."""

    config: RunConfig
    history: list[dict[str, float]]
    scores: list[dict[str, float]]
    seconds: float
    hardware: str | None


def read_record(path: str | os.PathLike) -> Record:
    """The record of a run from its ``run.json`` (or a copy of it)."""
    data = json.loads(Path(path).read_text())
    return Record(RunConfig.from_dict(data["config"]), data["history"], data.get("scores", []), data["seconds"],
                  data.get("hardware"))


def records(configs: Sequence[RunConfig], *, archive: str | os.PathLike, workers: int = 1,
            root: str | os.PathLike | None = None, progress: bool = True) -> list[Record]:
    """The record of every run, in the order given: from the run cache, else from ``archive`` (a folder of
    ``<key>.json`` copies of run records), else trained with :func:`train_all`. Each record found in the run cache
    or trained is copied into ``archive``, so that a machine without the weights (a fresh clone, a laptop) shows
    the same curves without training again. For work that needs only the curves, not the models."""
    folder, archive = runs_root(root), Path(archive)
    missing = [c for c in configs
               if not (folder / c.key() / RECORD).exists() and not (archive / f"{c.key()}.json").exists()]
    if missing:
        train_all(missing, workers=workers, root=folder, progress=progress)
    found = []
    for config in configs:
        cached, kept = folder / config.key() / RECORD, archive / f"{config.key()}.json"
        if cached.exists() and (not kept.exists() or kept.read_bytes() != cached.read_bytes()):
            with atomic_path(kept) as tmp:
                tmp.write_bytes(cached.read_bytes())
        found.append(read_record(kept))
    return found


def load_run(path: str | os.PathLike, device: str = "auto") -> Run:
    """Load a finished run from its folder (weights are read with ``weights_only=True``)."""
    path = Path(path)
    record = json.loads((path / RECORD).read_text())
    config = RunConfig.from_dict(record["config"])
    model = build(config.model)
    model.load_state_dict(torch.load(path / WEIGHTS, map_location="cpu", weights_only=True))
    return Run(config, model.to(resolve_device(device)).eval(), record["history"], record["seconds"], path,
               record.get("scores", []))
