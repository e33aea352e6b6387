"""Where a run computes: the device, its place in a ``torchrun`` launch, and whether it computes in bf16."""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


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
    supports bf16, or a CPU with AMX tiles. On a CPU with AVX512-BF16 alone, ``benchmarks/throughput.py`` measures
    bf16 autocast at about 0.7 times the fp32 step of either network, so ``auto`` stays fp32 there."""
    if precision != "auto":
        return precision == "bf16"
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    return device.type == "cpu" and torch.cpu._is_amx_tile_supported()
