"""Training under torchrun: two gloo processes on this CPU, against one process with the same global batch."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import auxlib
from auxlib import data, devices, store, train

ROOT = Path(__file__).resolve().parents[1]
# A distributed run draws other noise and shuffles than a single process (each rank its own), so the loss curves
# agree only statistically; two single-process runs with different seeds differ by up to ~2% per row here.
TOLERANCE = 0.03


def config():
    return auxlib.experiment("method", "quick", steps=40, batch_size=32, log_every=5, checkpoint_every=10)


def torchrun(*args: str, env: dict[str, str], script: Path | None = None) -> subprocess.CompletedProcess:
    target = [str(script)] if script else ["-m", "auxlib"]
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", *target, *args]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def launch(tmp_path_factory):
    """The data set in a scratch cache, the config file, and the environment the launches run in."""
    folder = tmp_path_factory.mktemp("distributed")
    rng = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (256, 32, 32, 3), dtype=torch.uint8, generator=rng).numpy()
    data.save(data.ImageSet(images, (torch.arange(256) % 10).numpy()), data.cache_path("cifar10", "train",
                                                                                         folder / "data"))
    (folder / "config.json").write_text(json.dumps(config().to_dict()))
    env = {**os.environ, "AUXLIB_DATA": str(folder / "data"), "AUXLIB_RUNS": str(folder / "unused")}
    finished = torchrun("train", "--config", str(folder / "config.json"), "--root", str(folder / "ddp"), env=env)
    assert finished.returncode == 0, finished.stderr[-3000:]
    return folder, env, finished


def test_two_gloo_processes_train_what_one_process_does(launch, monkeypatch):
    folder, _, finished = launch
    cfg = config()
    assert "2 processes x 16 images = global batch 32" in finished.stdout
    assert finished.stdout.count(cfg.key()) == 1  # rank 0 alone reports
    assert sorted(p.name for p in (folder / "ddp" / cfg.key()).iterdir()) == ["model.pt", "run.json"]
    distributed = store.load_run(folder / "ddp" / cfg.key())  # reads the weights with weights_only=True
    monkeypatch.setenv("AUXLIB_DATA", str(folder / "data"))
    single = train.train(cfg, root=folder / "single", progress=False)
    assert [r["step"] for r in distributed.history] == [r["step"] for r in single.history]
    for one, two in zip(single.history, distributed.history):
        assert two["loss"] == pytest.approx(one["loss"], rel=TOLERANCE), (one, two)
    assert distributed.history[-1]["loss"] < 0.97 * distributed.history[0]["loss"]


_INTERRUPTED = """
import sys
import auxlib.__main__
from auxlib.model.models import AuxVAE

loss, calls = AuxVAE.loss, [0]

def stop_at_step_25(self, *args, **kwargs):
    calls[0] += 1
    if calls[0] == 25:
        raise KeyboardInterrupt
    return loss(self, *args, **kwargs)

AuxVAE.loss = stop_at_step_25
auxlib.__main__.main(sys.argv[1:])
"""


def test_interrupted_distributed_run_resumes_to_the_uninterrupted_result(launch):
    folder, env, _ = launch
    cfg = config()
    (folder / "interrupted.py").write_text(_INTERRUPTED)
    args = ("train", "--config", str(folder / "config.json"), "--root", str(folder / "resumed"))
    stopped = torchrun(*args, env=env, script=folder / "interrupted.py")
    assert stopped.returncode != 0
    run_folder = folder / "resumed" / cfg.key()
    # rank 0's checkpoint and its progress record, nothing half-written
    assert sorted(p.name for p in run_folder.iterdir()) == ["checkpoint.pt", "progress.json"]
    payload = torch.load(run_folder / "checkpoint.pt", weights_only=True)
    assert payload["state"]["step"] == 20 and len(payload["rng"]) == 2  # one random state per rank
    resumed = torchrun(*args, env=env)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    again = store.load_run(run_folder)
    reference = store.load_run(folder / "ddp" / cfg.key())
    assert again.history == reference.history
    assert all(torch.equal(a, b) for a, b in zip(again.model.state_dict().values(),
                                                 reference.model.state_dict().values()))


def test_ranks_stop_together_at_a_time_limit_and_the_relaunch_finishes_the_run(launch):
    folder, env, _ = launch
    cfg = config()
    args = ("train", "--config", str(folder / "config.json"), "--root", str(folder / "limited"))
    stopped = torchrun(*args, "--max-minutes", "1e-9", env=env)
    assert stopped.returncode == 0, stopped.stderr[-3000:]
    # the ranks agree at the first logged step (log_every 5), whatever their own clocks say
    assert stopped.stdout.count("stopped at its time limit") == 1 and "after step 5 of 40" in stopped.stdout
    resumed = torchrun(*args, env=env)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    again = store.load_run(folder / "limited" / cfg.key())
    reference = store.load_run(folder / "ddp" / cfg.key())
    assert all(torch.equal(a, b) for a, b in zip(again.model.state_dict().values(),
                                                 reference.model.state_dict().values()))


def test_batch_must_split_evenly_over_the_processes(tiny_images, tmp_path, monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "3")
    monkeypatch.setattr(train, "world", lambda device: devices.World(0, 3, torch.device("cpu")))
    with pytest.raises(ValueError, match="^batch_size must be divisible by the 3 processes"):
        train.train(config(), tiny_images, root=tmp_path, progress=False)


def test_workers_cannot_be_combined_with_torchrun(monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "2")
    with pytest.raises(ValueError, match="^workers must be 1 under torchrun"):
        train.train_all([config()], workers=2)
