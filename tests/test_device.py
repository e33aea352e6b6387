"""The accelerator paths of training, on the device ``$AUXLIB_TEST_DEVICE`` names (default cuda).

Marked ``device``: collected where CUDA is present or the variable is set, deselected elsewhere (see conftest).
``benchmarks/gpu_check.sh`` runs them on a GPU, and its dry run on the CPU (``--device cpu``), which the test
suite runs, exercises them everywhere.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import auxlib
from auxlib import data, devices, train

pytestmark = pytest.mark.device
DEVICE = os.environ.get("AUXLIB_TEST_DEVICE", "cuda")
ROOT = Path(__file__).resolve().parents[1]
# CUDA's convolution kernels may sum in another order from one call to the next: a resumed run matches the
# uninterrupted one to rounding there, bit for bit on the CPU.
EXACT = DEVICE == "cpu"


def config(**changes):
    params = dict(steps=12, batch_size=16, log_every=4, checkpoint_every=100, z_g=4, z_l=4, widths=(8, 16),
                  device=DEVICE, precision="fp32")
    return auxlib.experiment("method", "quick", **{**params, **changes})


def same_weights(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    pairs = zip(a.state_dict().values(), b.state_dict().values())
    if EXACT:
        return all(torch.equal(x.cpu(), y.cpu()) for x, y in pairs)
    return all(torch.allclose(x.cpu().float(), y.cpu().float(), rtol=1e-4, atol=1e-5) for x, y in pairs)


def test_training_keeps_the_data_and_the_model_on_the_device(tiny_images, tmp_path):
    run = train.train(config(), tiny_images, root=tmp_path, progress=False)
    assert next(run.model.parameters()).device.type == DEVICE
    assert all(np.isfinite(row["loss"]) for row in run.history)
    assert devices.resolve_device(DEVICE).type == DEVICE


def test_the_patch_shuffle_runs_on_the_device():
    x = torch.arange(2 * 3 * 32 * 32, dtype=torch.float32).view(2, 3, 32, 32).to(DEVICE)
    shuffled = auxlib.transforms.patch_shuffle(x, 4, generator=torch.Generator(device=DEVICE).manual_seed(0))
    assert shuffled.device.type == DEVICE
    assert torch.equal(shuffled.flatten(1).sort(1).values, x.flatten(1).sort(1).values)  # the same pixels


def test_bf16_autocast_trains_with_finite_losses(tiny_images, tmp_path):
    run = train.train(config(precision="bf16"), tiny_images, root=tmp_path, progress=False)
    assert all(np.isfinite(row["loss"]) for row in run.history)
    assert next(run.model.parameters()).dtype == torch.float32  # autocast computes in bf16, keeps fp32 weights


def test_adam_is_fused_on_the_device():
    model = auxlib.models.build(config().model).to(DEVICE)
    assert train.make_optimiser(model, 1e-3).defaults["fused"]


def test_a_compiled_step_learns_what_the_eager_step_learns(tiny_images, tmp_path):
    eager = train.train(config(), tiny_images, root=tmp_path / "eager", progress=False)
    compiled = train.train(config(compile=True), tiny_images, root=tmp_path / "compiled", progress=False)
    for a, b in zip(eager.history, compiled.history):
        assert b["loss"] == pytest.approx(a["loss"], rel=1e-3)


def test_a_checkpoint_written_on_the_device_resumes_to_the_uninterrupted_result(tiny_images, tmp_path):
    cfg = config()
    hurried = dataclasses.replace(cfg, train=dataclasses.replace(cfg.train, max_minutes=1e-9))
    for _ in range(3):
        with pytest.raises(train.TimeLimitReached):
            train.train(hurried, tiny_images, root=tmp_path / "stopped", progress=False)
    resumed = train.train(cfg, tiny_images, root=tmp_path / "stopped", progress=False)
    whole = train.train(cfg, tiny_images, root=tmp_path / "whole", progress=False)
    assert same_weights(resumed.model, whole.model)


def test_a_run_trained_on_the_device_is_found_by_a_reader_on_the_cpu(tiny_images, tmp_path):
    trained = train.train(config(), tiny_images, root=tmp_path, progress=False)
    on_cpu = config(device="cpu", precision="auto")
    assert on_cpu.key() == trained.config.key()
    found = train.train(on_cpu, root=tmp_path, progress=False)  # no data given: it must not train again
    assert next(found.model.parameters()).device.type == "cpu" and found.seconds == trained.seconds
    assert same_weights(found.model, trained.model)


def test_torchrun_trains_on_the_device(tmp_path):
    """Two processes (gloo on the CPU, NCCL where there are two GPUs), or, on one GPU, NCCL in a group of one."""
    processes = 2 if DEVICE == "cpu" or torch.cuda.device_count() >= 2 else 1
    images = np.random.default_rng(0).integers(0, 256, (128, 32, 32, 3), dtype=np.uint8)
    data.save(data.ImageSet(images, np.arange(128) % 10), data.cache_path("cifar10", "train", tmp_path / "data"))
    (tmp_path / "run.json").write_text(json.dumps(config(steps=8).to_dict()))
    env = {**os.environ, "AUXLIB_DATA": str(tmp_path / "data")}
    if processes == 1:
        script = ("import torch, torch.distributed as dist; dist.init_process_group('nccl'); "
                  "t = torch.ones(1, device='cuda'); dist.all_reduce(t); assert t.item() == 1; "
                  "dist.destroy_process_group(); print('nccl ok')")
        command = [sys.executable, "-c", f"import os; os.environ.update(RANK='0', WORLD_SIZE='1', "
                   f"MASTER_ADDR='127.0.0.1', MASTER_PORT='29533'); exec({script!r})"]
    else:
        command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", "-m",
                   "auxlib", "train", "--config", str(tmp_path / "run.json"), "--root", str(tmp_path / "runs")]
    finished = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr[-3000:]
    if processes == 2:
        assert "2 processes x 8 images = global batch 16" in finished.stdout
        assert (tmp_path / "runs" / config(steps=8).key() / "run.json").exists()
    else:
        assert "nccl ok" in finished.stdout
