"""One training loop for every model: set-up, then a loop over a typed state, with checkpoints, resume and a run
cache (:mod:`auxlib.store`).

Asking again for a finished config loads it instead of training; asking for an unfinished one resumes from its
checkpoint, and the result equals that of an uninterrupted run, bit for bit. Several runs train side by side with
:func:`train_all`; under ``torchrun`` each run is shared by the launched processes (:mod:`auxlib.devices`).
"""

from __future__ import annotations

import multiprocessing
import os
import time
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
from torch import nn
from tqdm import tqdm

from .. import data as datasets
from ..checks import positive_int
from ..data import to_tensor
from ..io import atomic_path
from ..model.config import RunConfig
from ..model.models import build
from . import monitor
from .devices import World, torchrun_rank, uses_bf16, world
from .store import (
    CHECKPOINT,
    DIVERGED,
    RECORD,
    Record,
    Run,
    TrainState,
    load_finished,
    load_run,
    read_diverged,
    read_record,
    resume,
    runs_root,
    save_checkpoint,
    save_diverged,
    save_finished,
    training_lock,
)


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


class Objective(nn.Module):
    """A model's loss as ``forward``, the call that DistributedDataParallel and ``torch.compile`` wrap."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model: Any = model  # a model of auxlib.models, whose loss() it calls

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


@dataclass
class Trainer:
    """Everything one run trains with, as :func:`train` sets it up: the run's folder and place in a launch, the
    model and the module the step calls (the model's loss, wrapped for DDP and ``torch.compile`` when asked), the
    optimiser, the batch order, this process's ``share`` of each batch, the training images and labels on the
    device, the generator of the shuffles and noise, the scorer of :mod:`auxlib.monitor` (None on ranks > 0 and
    without ``score_every``) and whether steps compute in bf16."""

    config: RunConfig
    folder: Path
    place: World
    model: nn.Module
    objective: nn.Module
    optimiser: torch.optim.Optimizer
    sampler: BatchSampler
    share: int
    images: torch.Tensor
    labels: torch.Tensor
    shuffle_rng: torch.Generator
    score: Callable[[nn.Module], dict[str, float]] | None
    bf16: bool


def train(config: RunConfig, data: datasets.ImageSet | None = None, *, root: str | os.PathLike | None = None,
          progress: bool = True, shared_by: int = 1) -> Run:
    """Train the model ``config`` describes on its data set's train split, or load the finished run.

    Under ``torchrun`` every process calls this with the same config: each takes its 1/N share of every global
    batch (disjoint shards of each epoch), DistributedDataParallel averages the gradients, and rank 0 alone writes
    the checkpoints and the finished run. A run that another process is training is waited for and loaded, not
    trained twice (:func:`auxlib.store.training_lock`).

    Args:
        config: the run (model, training and data settings).
        data: the training data, if already in memory: the train split of ``config.dataset`` (and its extra
            split after it when ``config.extra``); it is cut to ``config.n_train`` here. Loaded with
            :func:`auxlib.data.load_training` when None.
        root: run cache folder (see :func:`auxlib.store.runs_root`).
        progress: show a tqdm progress bar with the loss terms (on rank 0).
        shared_by: how many runs train side by side on this machine, this one included (:func:`train_all` passes
            its number of worker processes). Recorded with the run's wall clock and CPU time (seconds), so that
            time shared with other runs can be told apart (:class:`auxlib.store.Record`).

    Raises:
        TimeLimitReached: when ``config.train.max_minutes`` passes first (the run is checkpointed).
        Diverged: when the loss stops being finite (now, or when this run was trained before).
        ValueError: when the batch does not split evenly over the processes of a torchrun launch, or
            ``shared_by`` is not a positive integer.
    """
    positive_int("shared_by", shared_by)
    folder = runs_root(root) / config.key()
    place = world(config.train.device)
    finished = load_finished(folder, place.device)
    if finished is not None:
        return finished
    with training_lock(folder, place):
        return _train_locked(config, data, folder, place, root, progress, shared_by)


def _train_locked(config: RunConfig, data: datasets.ImageSet | None, folder: Path, place: World,
                  root: str | os.PathLike | None, progress: bool, shared_by: int) -> Run:
    """:func:`train` once this process holds the run's lock: the run may have been finished meanwhile by the
    lock's previous holder."""
    finished = load_finished(folder, place.device)
    if finished is not None:
        return finished
    diverged = read_diverged(folder)
    if diverged is not None:
        at = diverged.diverged_at or 0
        raise Diverged(f"run {folder} diverged at step {at:,} (its loss stopped being finite); "
                       f"delete {folder / DIVERGED} to train it again from its last checkpoint.", at)
    trainer = set_up(config, data, folder, place, root, progress)
    state = resume(folder / CHECKPOINT, trainer.model, trainer.optimiser, trainer.shuffle_rng, place,
                   config.train.precision) \
        if (folder / CHECKPOINT).exists() else TrainState()
    try:
        _loop(trainer, state, progress, shared_by)
    except Diverged as error:
        if place.rank == 0:
            save_diverged(folder, trainer.model, config, state, error.step)
        raise
    if place.rank == 0:
        save_finished(folder, trainer.model, config, state)
    if place.size > 1:
        dist.barrier()  # the other ranks return once the run is on disk
    model = trainer.model.to(memory_format=torch.contiguous_format)
    return Run(config, model.eval(), state.history, state.seconds, folder, state.scores, state.cpu_seconds,
               state.shared_by)


def set_up(config: RunConfig, data: datasets.ImageSet | None, folder: Path, place: World,
           root: str | os.PathLike | None = None, progress: bool = True) -> Trainer:
    """Build what the run of ``config`` trains with (see :func:`train` for the arguments)."""
    tc = config.train
    if data is None:
        data = datasets.load_training(config.dataset, config.extra)
    if config.where is not None:
        data = data.where(*config.where)
    data = data.subset(config.n_train)
    device = place.device
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
    # channels-last: faster convolutions on CPU and GPU (torch's stub lacks this overload of Module.to)
    model = build(config.model).to(device, memory_format=torch.channels_last)  # type: ignore[call-overload]
    optimiser = make_optimiser(model, tc.lr)
    if place.rank:  # rank 0 draws what a single process would; the others draw their own noise and shuffles
        torch.manual_seed(tc.seed + 1_000_003 * place.rank)
    shuffle_rng = torch.Generator(device=device).manual_seed(tc.seed + 1_000_003 * place.rank)
    lead = place.rank == 0

    objective: Any = Objective(model)  # DDP and torch.compile wrap it
    if place.size > 1:
        ids = [device] if device.type == "cuda" else None
        objective = nn.parallel.DistributedDataParallel(objective, device_ids=ids)
        if lead:
            print(f"torchrun: {place.size} processes x {share} images = global batch {sampler.batch_size}, "
                  f"lr {tc.lr} (as configured, for that global batch)")
    if tc.compile:
        objective = torch.compile(objective)
    bf16 = uses_bf16(tc.precision, device)
    score = monitor.for_model(model, data, tc.score_images, device, judge, bf16) if tc.score_every and lead else None
    return Trainer(config, folder, place, model, objective, optimiser, sampler, share, images, labels, shuffle_rng,
                   score, bf16)


def _loop(t: Trainer, state: TrainState, progress: bool, shared_by: int = 1) -> None:
    """Train from ``state.step`` to the configured steps, updating ``state``: a log row every ``log_every`` steps,
    a score row every ``score_every``, a checkpoint every ``checkpoint_every`` and at the time limit. The wall
    clock and the process's CPU time (seconds) go on from the checkpoint's, so both are summed over resumes;
    ``shared_by`` (the runs training side by side now) is kept as the most of any session."""
    tc, place = t.config.train, t.place
    checkpoint = t.folder / CHECKPOINT
    t.model.train()
    if state.shared_by is not None:  # None: an earlier session did not record it, so the most is unknown
        state.shared_by = max(state.shared_by, shared_by)
    start = time.perf_counter() - state.seconds
    # process_time counts every thread of this process and nothing of the other runs on the machine, so runs
    # trained side by side do not count each other's time as the wall clock does
    cpu_start = None if state.cpu_seconds is None else time.process_time() - state.cpu_seconds

    def clocks() -> None:
        state.seconds = time.perf_counter() - start
        if cpu_start is not None:
            state.cpu_seconds = time.process_time() - cpu_start

    deadline = None if tc.max_minutes is None else time.perf_counter() + 60 * tc.max_minutes
    bar = tqdm(range(state.step, tc.steps), initial=state.step, total=tc.steps,
               disable=not (progress and place.rank == 0), desc=f"train {t.config.key()}", mininterval=2.0)
    pending: list[torch.Tensor] = []
    names: list[str] = []
    for step in bar:
        set_step = getattr(t.model, "set_step", None)  # models with a schedule (KL warm-up, the temperature)
        if set_step is not None:
            set_step(step)
        if tc.lr_decay != 1.0:  # [SPLIT]'s staircase decay, a function of the step alone, so resumes are exact
            for group in t.optimiser.param_groups:
                group["lr"] = tc.lr * tc.lr_decay ** (step // tc.lr_decay_every)
        index = t.sampler(step)[place.rank * t.share:(place.rank + 1) * t.share]
        terms = train_step(t.objective, t.optimiser, t.images, t.labels, index, t.shuffle_rng, t.bf16)
        names = list(terms)
        pending.append(torch.stack(list(terms.values())))
        done = step + 1
        at_row = done % tc.log_every == 0 or done == tc.steps
        at_checkpoint = done % tc.checkpoint_every == 0 and done < tc.steps
        if at_row or at_checkpoint:
            try:
                _collect(pending, names, done, state, place, t.folder, tc.lr)
            except Diverged:
                bar.close()
                clocks()
                raise
            pending = []
        if at_row:
            row = {"step": done, **{k: v / state.count for k, v in state.sums.items()}}
            state.history.append(row)
            state.sums, state.count = {}, 0
            bar.set_postfix({k: f"{v:.4g}" for k, v in row.items() if k != "step"}, refresh=False)
        if t.score is not None and (done % tc.score_every == 0 or done == tc.steps):
            scoring = time.perf_counter()
            state.scores.append({"step": done, "images": done * t.sampler.batch_size, **t.score(t.model)})
            if state.score_seconds is not None:
                state.score_seconds += time.perf_counter() - scoring
        if at_checkpoint:
            state.step = done
            clocks()
            save_checkpoint(checkpoint, t.model, t.optimiser, t.shuffle_rng, state, t.config, place)
        if done < tc.steps and _past(deadline, place, now=place.size == 1 or at_row):
            if pending:
                _collect(pending, names, done, state, place, t.folder, tc.lr)
            state.step = done
            clocks()
            save_checkpoint(checkpoint, t.model, t.optimiser, t.shuffle_rng, state, t.config, place)
            bar.close()
            raise TimeLimitReached(f"run {t.folder} stopped at its time limit of {tc.max_minutes:g} minutes, after "
                                   f"step {done:,} of {tc.steps:,}; run the same command again to continue from "
                                   f"its checkpoint.")
    bar.close()
    state.step = tc.steps
    clocks()


class Diverged(FloatingPointError):
    """A run's loss stopped being finite at step ``step``. The run's record up to its last log row is kept as
    ``diverged.json`` (:func:`auxlib.store.save_diverged`): asking for the run again raises this at once, and
    :func:`records` returns that record, so a curve that diverges is shown up to where it did."""

    def __init__(self, message: str, step: int):
        super().__init__(message)
        self.step = step


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


def _collect(pending: list[torch.Tensor], names: list[str], done: int, state: TrainState, place: World,
             folder: Path, lr: float) -> None:
    """Add the loss terms of the steps up to ``done`` to the running sums (averaged over the ranks), in one read
    from the device; raise :class:`Diverged` naming the first step whose loss is not finite."""
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
        raise Diverged(f"the loss became {rows[first, names.index('loss')].item()} at step {step} of run {folder}; "
                       f"{last}. Lower lr (now {lr}) or check the data.", step)
    for name, total in zip(names, rows.sum(0).tolist()):
        state.sums[name] = state.sums.get(name, 0.0) + total
    state.count += len(rows)


def train_all(configs: Sequence[RunConfig], *, workers: int = 1, root: str | os.PathLike | None = None,
              progress: bool = True) -> list[Run]:
    """Train (or load) several runs, ``workers`` at a time, and return them in the order given.

    With ``workers`` > 1 each run trains in its own process with the machine's torch threads shared out between
    them: on a CPU, small models gain more from running side by side than from more threads each. Every run
    checkpoints as :func:`train` does, so an interrupted call resumes where it stopped. A progress bar counts
    finished runs. Under ``torchrun`` the runs train one after the other, each on all the launched processes.
    Each run's record holds how many ran side by side (``shared_by``: the worker processes, else 1).
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
        side_by_side = min(workers, len(pending))
        with ProcessPoolExecutor(side_by_side, mp_context=context, initializer=torch.set_num_threads,
                                 initargs=(threads,)) as pool:
            jobs = [pool.submit(_train_quietly, c, folder, side_by_side) for c in pending]
            for done in as_completed(jobs):
                done.result()  # re-raises a worker's error here
                bar.update()
    bar.close()
    return [load_run(folder / c.key(), device=c.train.device) for c in configs]


def _train_quietly(config: RunConfig, root: Path, shared_by: int) -> None:
    train(config, root=root, progress=False, shared_by=shared_by)


def records(configs: Sequence[RunConfig], *, archive: str | os.PathLike | Sequence[str | os.PathLike],
            workers: int = 1, root: str | os.PathLike | None = None, progress: bool = True) -> list[Record]:
    """The record of every run, in the order given: from ``archive`` (a folder of ``<key>.json`` copies of run
    records, or several, searched in order), else from the run cache, else trained with :func:`train_all`. A run
    that diverged gives its record up to where it did (``diverged_at`` set). A record found only in the run cache,
    or trained, is copied into the (first) archive, so that a machine without the weights (a fresh clone, a laptop)
    shows the same curves without training again; the others are only read.

    A kept record is the evidence a page was made from, so a run cache's record under the same key never replaces
    it: when the two differ (the run trained again, in another precision or by other code), the kept one is read
    and a :class:`UserWarning` names the key and both files. Delete the kept file, or point ``archive`` at an empty
    folder, to read the cache's. For work that needs only the curves, not the models."""
    folder = runs_root(root)
    archives = [Path(archive)] if isinstance(archive, (str, os.PathLike)) else [Path(a) for a in archive]

    def kept(config: RunConfig) -> Path | None:
        return next((f / f"{config.key()}.json" for f in archives if (f / f"{config.key()}.json").exists()), None)

    def cached(config: RunConfig) -> Path:
        run = folder / config.key()
        return run / RECORD if (run / RECORD).exists() or not (run / DIVERGED).exists() else run / DIVERGED

    for _ in range(len(configs) + 1):  # a divergence stops train_all; the runs after it train on the next round
        missing = [c for c in configs if not cached(c).exists() and kept(c) is None]
        if not missing:
            break
        try:
            train_all(missing, workers=workers, root=folder, progress=progress)
        except Diverged:
            continue
    found = []
    for config in configs:
        copy, run = kept(config), cached(config)
        if copy is None:
            copy = archives[0] / f"{config.key()}.json"
            with atomic_path(copy) as tmp:
                tmp.write_bytes(run.read_bytes())
        elif run.exists() and run.read_bytes() != copy.read_bytes():
            warnings.warn(f"run {config.key()}: the run cache's record {run} differs from the kept {copy}; the kept "
                          "one is read (delete it to read the cache's)", stacklevel=2)
        found.append(read_record(copy))
    return found
