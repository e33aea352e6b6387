"""Where a run computes: the device, its place in a ``torchrun`` launch, and whether it computes in bf16."""

from __future__ import annotations

import fcntl
import json
import os
import platform
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist

from ..io import CACHE, atomic_path


def resolve_device(name: str = "auto") -> torch.device:
    """``auto`` picks cuda, then mps, then cpu; any other name is taken as it is."""
    if name != "auto":
        return torch.device(name)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


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
    the first time, with NCCL on GPUs (one per process, by ``LOCAL_RANK``) and gloo on CPUs.

    Raises:
        ValueError: for a torchrun launch on a device other than cpu or cuda.
    """
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
    """Whether a run at ``precision`` computes in bf16 autocast. ``auto`` means where bf16 pays: a CUDA GPU that
    supports bf16, or a CPU with bf16 units (AVX512-BF16 or AMX) on which a training step measures at least
    :data:`BF16_MIN_SPEEDUP` times faster in bf16 than in fp32 (:func:`cpu_bf16_speedup`). The units alone do not
    settle it: with the same flags, one CPU ran the step at 0.7 times fp32 in bf16 and another at 1.2-1.6 times
    (``benchmarks/throughput.py``)."""
    if precision != "auto":
        return precision == "bf16"
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type != "cpu" or not (torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported()):
        return False
    return cpu_bf16_speedup() >= BF16_MIN_SPEEDUP


#: The least measured speed-up of a bf16 step over an fp32 one for ``precision="auto"`` to take bf16 on a CPU:
#: below it the gain is within the measurement's spread and not worth bf16's coarser rounding.
BF16_MIN_SPEEDUP = 1.1

#: Where each machine's measured bf16 speed-up is kept, by :func:`machine`.
SPEEDUP_FILE = CACHE / "bf16_speedup.json"


def cpu_model() -> str:
    """This CPU's model name, as the operating system gives it."""
    cpuinfo = Path("/proc/cpuinfo")  # Linux; platform.processor() is often empty there
    names = [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
             if line.startswith("model name")] if cpuinfo.exists() else []
    return names[0] if names else platform.processor() or platform.machine()


def machine() -> str:
    """This CPU's model name, torch's version and its thread count: what a measured speed-up holds for."""
    return f"{cpu_model()}, torch {torch.__version__}, {torch.get_num_threads()} threads"


def cpu_bf16_speedup() -> float:
    """How many times faster a training step of the method chapter's AuxVAE (batch 64) runs on this CPU under bf16
    autocast than in fp32: forward and backward, alternated, the best of four timings of each. Measured once per
    :func:`machine` (about a second) and kept in :data:`SPEEDUP_FILE`, under a lock, so that every process on the
    machine, and every run resumed on it, decides alike."""
    key = machine()
    SPEEDUP_FILE.parent.mkdir(parents=True, exist_ok=True)
    with open(SPEEDUP_FILE.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one measurement at a time, on an otherwise quiet process
        known = json.loads(SPEEDUP_FILE.read_text()) if SPEEDUP_FILE.exists() else {}
        if key not in known:
            known[key] = _measure_speedup()
            with atomic_path(SPEEDUP_FILE) as tmp:
                tmp.write_text(json.dumps(known, indent=1))
    return float(known[key])


def _measure_speedup(repeats: int = 4, steps: int = 2) -> float:
    # the first process on a machine measures, perhaps between seeding and training: the global random state, which
    # building the model draws from, must come out as it went in, or that run would learn other weights
    with torch.random.fork_rng(devices=[]):
        return _timed_speedup(repeats, steps)


def _timed_speedup(repeats: int, steps: int) -> float:
    from ..model.config import AuxVAEConfig
    from ..model.models import build

    generator = torch.Generator().manual_seed(0)
    model: Any = build(AuxVAEConfig()).to(memory_format=torch.channels_last)
    images = torch.randint(0, 256, (64, 3, 32, 32), dtype=torch.uint8, generator=generator)
    images = images.contiguous(memory_format=torch.channels_last)

    def seconds(bf16: bool) -> float:
        start = time.perf_counter()
        for _ in range(steps):
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                loss = model.loss(images, generator=generator)["loss"]
            loss.backward()
        return time.perf_counter() - start

    seconds(False), seconds(True)  # first calls allocate
    timings = [(seconds(False), seconds(True)) for _ in range(repeats)]  # alternated: drifts hit both alike
    return min(fp32 for fp32, _ in timings) / min(bf16 for _, bf16 in timings)
