"""The run store: where each run lives on disk, how a training run is checkpointed and resumed, and how a
finished one is saved and loaded.

A run lives in ``<runs root>/<config key>/``: ``checkpoint.pt`` while it trains (written atomically, with
``progress.json`` beside it), then ``model.pt`` and ``run.json`` once it has finished. A file that cannot be read
is renamed ``*.corrupt`` and the run trains again, with a warning. While a process trains a run it holds
``train.lock`` in the run's folder (:func:`training_lock`): a second process that asks for the same run waits
for the first and loads its result. The runs root is the ``root`` argument, else
``$AUXLIB_RUNS``, else ``~/.cache/auxlib/runs``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import json
import os
import shutil
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
from torch import nn

from ..io import CACHE, atomic_path, configured_folder
from ..model.config import RunConfig
from ..model.models import build
from .devices import World, resolve_device, uses_bf16

CHECKPOINT = "checkpoint.pt"
WEIGHTS = "model.pt"
RECORD = "run.json"
#: An unfinished run's record, written with each checkpoint: its curves can be read while it trains.
PROGRESS = "progress.json"
#: The record of a run whose loss stopped being finite, up to its last log row, with the step it happened at.
DIVERGED = "diverged.json"
#: Held (flock) by the process that trains the run; the operating system releases it when that process dies.
LOCK = "train.lock"


def runs_root(root: str | os.PathLike | None = None) -> Path:
    """The run cache: ``root``, else ``$AUXLIB_RUNS``, else ``~/.cache/auxlib/runs``."""
    return configured_folder(root, "AUXLIB_RUNS", CACHE / "runs")


@dataclass
class TrainState:
    """What a training run has done so far, saved in each checkpoint: the steps done, the loss history (one row
    of mean loss terms per ``log_every`` steps), the scores during training (one row per ``score_every`` steps),
    the training time in seconds (wall clock, and ``cpu_seconds``, the CPU time of the process that trains; both
    summed over resumes), the most runs that trained side by side with this one in any of its sessions
    (``shared_by``: 0 before the first), and the sums of the loss terms over the ``count`` steps since the last
    row; ``score_seconds``, the wall-clock seconds of the training-time scores (:mod:`auxlib.monitor`), included
    in ``seconds``. ``cpu_seconds``, ``shared_by`` and ``score_seconds`` are None when a session before this version
    of the loop trained part of the run and so left them unmeasured."""

    step: int = 0
    history: list[dict[str, float]] = field(default_factory=list)
    scores: list[dict[str, float]] = field(default_factory=list)
    seconds: float = 0.0
    sums: dict[str, float] = field(default_factory=dict)
    count: int = 0
    cpu_seconds: float | None = 0.0
    shared_by: int | None = 0
    score_seconds: float | None = 0.0


#: The fields of :class:`TrainState` that a checkpoint keeps under "clocks", not "state".
_CLOCKS = ("cpu_seconds", "shared_by", "score_seconds")


@dataclass
class Run:
    """A trained model with its config, loss history (one row per ``log_every`` steps), training time in seconds,
    the folder it was loaded from, and its scores during training (one row per ``score_every`` steps,
    :mod:`auxlib.monitor`; empty without); its CPU time in seconds and how many runs trained side by side with it,
    as :class:`Record` has them."""

    config: RunConfig
    model: Any  # a model of auxlib.models
    history: list[dict[str, float]]
    seconds: float
    path: Path
    scores: list[dict[str, float]] = field(default_factory=list)
    cpu_seconds: float | None = None
    shared_by: int | None = None


@dataclass
class Record:
    """What a finished run leaves besides its weights: the config, the loss history, the scores during training,
    the training time in seconds (wall clock) and the hardware it ran on. A few kilobytes, so it can be kept with
    the book.

    ``cpu_seconds`` is the CPU time, in seconds, of the process that trained the run (all its threads; on a GPU,
    the host's time only; under torchrun, rank 0's), and ``shared_by`` the most runs that trained side by side on
    the machine, this one included (:func:`auxlib.train.train_all`'s worker processes; 1 alone): runs that share
    a machine share its wall clock, and each one's ``seconds`` counts the time of all of them, so that
    ``seconds / shared_by`` is closer to a run's own share. Both are None in records written before they were
    measured, or when part of the run was trained before.

    ``ran_on`` is what decided the run's float rounding besides its key (device type, torch threads, and whether it
    computed in bf16): a key names what is learned, and a run trained again under another ``ran_on`` learns it
    again up to rounding, which over thousands of steps moves its scores about as much as another seed does.
    None in records written before it was recorded.

    ``score_seconds`` is the part of ``seconds`` that the training-time scores took (:mod:`auxlib.monitor`; 0 for a
    run without them), ``score_share`` its share; None in records written before it was measured, or when part of
    the run was trained before.
    """

    config: RunConfig
    history: list[dict[str, float]]
    scores: list[dict[str, float]]
    seconds: float
    hardware: str | None
    diverged_at: int | None = None
    cpu_seconds: float | None = None
    shared_by: int | None = None
    ran_on: dict[str, Any] | None = None
    score_seconds: float | None = None

    @property
    def score_share(self) -> float | None:
        """The share of the run's wall-clock time that its training-time scores took (None where unmeasured)."""
        return None if self.score_seconds is None or not self.seconds else self.score_seconds / self.seconds


def read_record(path: str | os.PathLike) -> Record:
    """The record of a run from its ``run.json`` or ``diverged.json`` (or a copy of either); fields that older
    records lack (``scores``, ``cpu_seconds``, ``shared_by``, ``ran_on``, ``score_seconds``) are empty or None."""
    data = json.loads(Path(path).read_text())
    return Record(RunConfig.from_dict(data["config"]), data["history"], data.get("scores", []), data["seconds"],
                  data.get("hardware"), data.get("diverged_at"), data.get("cpu_seconds"), data.get("shared_by"),
                  data.get("ran_on"), data.get("score_seconds"))


def find_record(key: str, kept: Sequence[str | os.PathLike] = (), root: str | os.PathLike | None = None
                ) -> Record | None:
    """The record of the run with ``key``, without its weights: from the first of the ``kept`` folders (copies of
    records, ``<key>.json``, as :func:`auxlib.train.records` keeps them) that holds it, else from the run cache
    (:func:`runs_root` of ``root``: ``run.json``, else ``diverged.json``). The kept copies come first because
    they were written with the results beside them, where the run cache may hold a later training of the same
    config. A file that cannot be read is passed over, as no record; None when no place holds a readable one."""
    folder = runs_root(root) / key
    places = [Path(f) / f"{key}.json" for f in kept] + [folder / RECORD, folder / DIVERGED]
    for path in places:
        if path.exists():
            try:
                return read_record(path)
            except (OSError, ValueError, KeyError, TypeError):
                continue
    return None


def read_diverged(folder: Path) -> Record | None:
    """The record of the run in ``folder`` if it diverged (:data:`DIVERGED`), else None."""
    return read_record(folder / DIVERGED) if (folder / DIVERGED).exists() else None


def load_run(path: str | os.PathLike, device: str = "auto") -> Run:
    """Load a finished run from its folder (weights are read with ``weights_only=True``)."""
    path = Path(path)
    record = read_record(path / RECORD)
    model = build(record.config.model)
    model.load_state_dict(torch.load(path / WEIGHTS, map_location="cpu", weights_only=True))
    return Run(record.config, model.to(resolve_device(device)).eval(), record.history, record.seconds, path,
               record.scores, record.cpu_seconds, record.shared_by)


def load_finished(folder: Path, device: torch.device) -> Run | None:
    """The finished run in ``folder``, or None when there is none; a damaged one is set aside (None)."""
    if not (folder / RECORD).exists():
        return None
    try:
        return load_run(folder, device=str(device))
    except Exception as error:  # a damaged cache entry is retrained, not fatal
        set_aside([folder / RECORD, folder / WEIGHTS], error)
        return None


@contextlib.contextmanager
def training_lock(folder: Path, place: World) -> Iterator[None]:
    """Hold the lock of the run in ``folder`` (rank 0 of a torchrun launch holds it for every rank): a process
    that asks for a run another process is training waits here, with a warning naming the owner's pid, until the
    owner finishes or dies, and then finds its result. A killed owner never leaves the lock stuck, since the
    operating system drops an flock with its holder. The lock file is removed when the lock is let go."""
    together = place.size > 1 and dist.is_initialized()
    if place.rank != 0:
        if together:
            dist.barrier()  # rank 0 holds the lock
        yield
        return
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOCK
    while True:
        handle = open(path, "a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            owner = handle.read().strip() or "unknown"
            warnings.warn(f"run {folder} is being trained by another process (pid {owner}); waiting for it to "
                          "finish, then loading its result.", stacklevel=4)
            fcntl.flock(handle, fcntl.LOCK_EX)
        if path.exists() and os.path.samefile(path, handle.fileno()):
            break  # the previous holder removed the file it locked: lock the one that is there now
        handle.close()
    try:
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        if together:
            dist.barrier()
        yield
    finally:
        path.unlink(missing_ok=True)
        handle.close()


def save_checkpoint(path: Path, model: nn.Module, optimiser: torch.optim.Optimizer, shuffle_rng: torch.Generator,
                    state: TrainState, config: RunConfig, place: World) -> None:
    """Rank 0 writes the weights, the optimiser, the training state and every rank's random number states, then
    the run's ``progress.json``."""
    rng = [_rng_states(shuffle_rng)]
    if place.size > 1:
        rng = [{}] * place.size  # filled by all_gather_object
        dist.all_gather_object(rng, _rng_states(shuffle_rng))
    if place.rank == 0:
        fields = dataclasses.asdict(state)
        # the clocks apart from "state", whose fields the loops before them take as they are: such a loop can
        # still resume this checkpoint (without them) instead of setting it aside
        clocks = {name: fields.pop(name) for name in _CLOCKS}
        payload = {"model": model.state_dict(), "optimiser": optimiser.state_dict(), "rng": rng, "state": fields,
                   "clocks": clocks, "config": config.to_dict(),
                   "ran_on": _ran_on(place.device, config.train.precision)}
        with atomic_path(path) as tmp:
            torch.save(payload, tmp)
        _write_record(path.parent / PROGRESS, model, config, state)


def resume(path: Path, model: nn.Module, optimiser: torch.optim.Optimizer, shuffle_rng: torch.Generator,
           place: World, precision: str) -> TrainState:
    """Restore a checkpoint into the model and optimiser and return its training state; a fresh state (and a
    warning) if it cannot be read.

    A run resumed on the device type, with the number of torch threads and in the precision (``precision``, the
    run's setting; bf16 or fp32 as :func:`auxlib.devices.uses_bf16` resolves it here) it was trained with ends
    bitwise equal to an uninterrupted run; on other ones it differs by float rounding (about 1e-5 in a weight
    after tens of steps, for another thread count), and a warning says so.

    The random number states are restored when the checkpoint has one per rank of this launch; a run resumed on
    a different number of processes continues with fresh ones (and says so).
    """
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
        model.load_state_dict(payload["model"])
        optimiser.load_state_dict(payload["optimiser"])
        # a checkpoint of the loop before the clocks were measured has none: unknown from here on
        state = TrainState(**payload["state"], **{**dict.fromkeys(_CLOCKS), **payload.get("clocks", {})})
    except Exception as error:
        set_aside([path], error)
        return TrainState()
    ran_on, here = payload.get("ran_on"), _ran_on(place.device, precision)
    # checkpoints written before the precision was recorded compare on what they hold
    if ran_on is not None and any(ran_on[k] != here[k] for k in ran_on.keys() & here.keys()):
        warnings.warn(f"{path} was trained on {_where(ran_on)} and is resumed on {_where(here)}: it trains on, but "
                      "its result will differ from an uninterrupted run's by float rounding (sums are added in "
                      "another order); resumed where it was trained, it is the same to the bit.", stacklevel=3)
    rng = payload["rng"] if isinstance(payload["rng"], list) else [payload["rng"]]
    if len(rng) != place.size:
        warnings.warn(f"{path} was written by {len(rng)} processes and is resumed by {place.size}: the weights and "
                      "the step carry over, the random draws start afresh.", stacklevel=3)
        return state
    mine = rng[place.rank]
    torch.set_rng_state(mine["torch"])
    shuffle_rng.set_state(mine["shuffle"])
    if "cuda" in mine and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(mine["cuda"])
    return state


def _ran_on(device: torch.device, precision: str) -> dict[str, Any]:
    """What decides a run's float rounding besides its key: the device type, the number of torch threads and
    whether it computes in bf16 (``precision="auto"`` resolves by machine, :func:`auxlib.devices.uses_bf16`)."""
    return {"device": device.type, "threads": torch.get_num_threads(), "bf16": uses_bf16(precision, device)}


def _where(ran_on: dict[str, Any]) -> str:
    precision = {True: " in bf16", False: " in fp32", None: ""}[ran_on.get("bf16")]  # absent in older checkpoints
    return f"{ran_on['device']} with {ran_on['threads']} torch thread{'s' if ran_on['threads'] != 1 else ''}{precision}"


def save_finished(folder: Path, model: nn.Module, config: RunConfig, state: TrainState) -> None:
    """Write the finished run's weights and record, then remove its checkpoint and progress file."""
    with atomic_path(folder / WEIGHTS) as tmp:
        torch.save(model.state_dict(), tmp)
    _write_record(folder / RECORD, model, config, state)
    (folder / CHECKPOINT).unlink(missing_ok=True)
    (folder / PROGRESS).unlink(missing_ok=True)


def save_diverged(folder: Path, model: nn.Module, config: RunConfig, state: TrainState, step: int) -> None:
    """Write the record of a run whose loss stopped being finite at ``step``: its history and scores up to the
    last row before, with ``diverged_at``. Its checkpoint stays, for whoever wants to train on from it."""
    _write_record(folder / DIVERGED, model, config, state, diverged_at=step)


def set_aside(paths: list[Path], error: Exception) -> None:
    """Rename unreadable run files to ``*.corrupt`` so that the run starts afresh, and say so."""
    for path in paths:
        if path.exists():
            shutil.move(path, path.with_name(path.name + ".corrupt"))
    names = " and ".join(p.name for p in paths)
    warnings.warn(f"{names} in {paths[0].parent} could not be read ({type(error).__name__}: {error}); renamed to "
                  "*.corrupt, the run trains again from the start.", stacklevel=3)


def _rng_states(shuffle_rng: torch.Generator) -> dict[str, Any]:
    states: dict[str, Any] = {"torch": torch.get_rng_state(), "shuffle": shuffle_rng.get_state()}
    if torch.cuda.is_available():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def _write_record(path: Path, model: nn.Module, config: RunConfig, state: TrainState, **extra: Any) -> None:
    """The run's record (config, loss history, scores, seconds, CPU seconds, runs sharing the machine, hardware,
    what decided its float rounding; the step too, for a run in progress, and ``extra`` fields) as JSON, at
    ``path``."""
    device = next(model.parameters()).device
    hardware = (torch.cuda.get_device_name(device) if device.type == "cuda"
                else f"{device.type}, {os.cpu_count()} cores")
    record = {"config": config.to_dict(), "history": state.history, "scores": state.scores,
              "seconds": state.seconds, "cpu_seconds": state.cpu_seconds, "shared_by": state.shared_by or None,
              "score_seconds": state.score_seconds,
              "hardware": hardware, "ran_on": _ran_on(device, config.train.precision), "torch": torch.__version__}
    if path.name == PROGRESS:
        record["step"] = state.step
    record.update(extra)
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(record, indent=1))
