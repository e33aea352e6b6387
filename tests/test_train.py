import dataclasses
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

import auxlib
from auxlib import data, devices, store, train


def small_config(**overrides):
    params = dict(steps=12, batch_size=16, log_every=4, checkpoint_every=4, z_g=4, z_l=4, widths=(8, 16))
    params.update(overrides)
    return auxlib.experiment("method", "quick", **params)


def same_weights(a, b):
    return all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))


def test_training_lowers_the_loss_and_stores_the_run(tiny_images, tmp_path):
    cfg = small_config(steps=40, log_every=10, lr=3e-3)
    run = train.train(cfg, tiny_images, root=tmp_path, progress=False)
    assert [row["step"] for row in run.history] == [10, 20, 30, 40]
    assert run.history[-1]["loss"] < run.history[0]["loss"]
    assert run.path == tmp_path / cfg.key()
    assert sorted(p.name for p in run.path.iterdir()) == ["model.pt", "run.json"]
    record = json.loads((run.path / "run.json").read_text())
    assert record["config"]["train"]["steps"] == 40 and record["seconds"] > 0


def test_extra_split_is_trained_on_after_the_train_split(tiny_images, tmp_path, monkeypatch):
    monkeypatch.setenv("AUXLIB_DATA", str(tmp_path / "data"))
    data.save(tiny_images, data.cache_path("synth-svhn", "train"))
    data.save(data.ImageSet(tiny_images.images[:32], tiny_images.labels[:32]), data.cache_path("synth-svhn", "extra"))
    sizes = []
    monkeypatch.setattr(train, "BatchSampler", lambda n, *args: _Recording(sizes, n, *args))
    for extra in (False, True):
        train.train(small_config(dataset="synth-svhn", extra=extra, steps=2), root=tmp_path / "runs", progress=False)
    assert sizes == [64, 96]


class _Recording(train.BatchSampler):
    """A batch sampler that notes the size of the training set it draws from."""

    def __init__(self, sizes, n, *args):
        sizes.append(n)
        super().__init__(n, *args)


def test_finished_run_is_loaded_not_retrained(tiny_images, tmp_path):
    cfg = small_config()
    first = train.train(cfg, tiny_images, root=tmp_path, progress=False)
    nothing = data.ImageSet(tiny_images.images[:0], tiny_images.labels[:0])  # training on it would fail
    again = train.train(cfg, nothing, root=tmp_path, progress=False)
    assert same_weights(first.model, again.model) and again.history == first.history


def test_corrupt_checkpoint_is_set_aside_with_a_warning(tiny_images, tmp_path):
    cfg = small_config()
    reference = train.train(cfg, tiny_images, root=tmp_path / "a", progress=False)
    folder = tmp_path / "b" / cfg.key()
    folder.mkdir(parents=True)
    (folder / "checkpoint.pt").write_bytes(b"PK\x03\x04 truncated")
    with pytest.warns(UserWarning, match=r"checkpoint.pt in .* could not be read"):
        run = train.train(cfg, tiny_images, root=tmp_path / "b", progress=False)
    assert same_weights(reference.model, run.model)
    assert (folder / "checkpoint.pt.corrupt").exists()


def test_damaged_cached_weights_are_retrained(tiny_images, tmp_path):
    cfg = small_config()
    first = train.train(cfg, tiny_images, root=tmp_path, progress=False)
    (first.path / "model.pt").write_bytes(b"not a checkpoint")
    with pytest.warns(UserWarning, match="run.json and model.pt in .* could not be read"):
        again = train.train(cfg, tiny_images, root=tmp_path, progress=False)
    assert same_weights(first.model, again.model)
    assert (first.path / "model.pt.corrupt").exists() and (first.path / "model.pt").exists()


def test_a_run_that_diverges_keeps_its_record_up_to_there_and_is_not_trained_again(tiny_images, tmp_path):
    cfg = small_config(lr=1e5)  # Adam moves every weight by about lr per step: the loss overflows at once
    with pytest.raises(train.Diverged, match=r"loss became nan at step \d+ .*no checkpoint was written yet") as first:
        train.train(cfg, tiny_images, root=tmp_path, progress=False)
    diverged = store.read_diverged(tmp_path / cfg.key())
    assert diverged.diverged_at == first.value.step and diverged.config == cfg
    started = time.perf_counter()
    with pytest.raises(train.Diverged, match=f"diverged at step {first.value.step}.*delete .*diverged.json"):
        train.train(cfg, tiny_images, root=tmp_path, progress=False)
    assert time.perf_counter() - started < 1.0  # read from the cache, not trained again
    fine = small_config()
    found = train.records([cfg, fine], archive=tmp_path / "kept", root=tmp_path, progress=False)
    assert found[0].diverged_at == first.value.step and found[1].diverged_at is None
    assert store.read_record(tmp_path / "kept" / f"{cfg.key()}.json").diverged_at == first.value.step


def test_batch_sampler_covers_each_epoch_once_and_depends_only_on_the_step():
    sampler = train.BatchSampler(10, 3, seed=5)
    epoch = torch.cat([sampler(s) for s in range(3)])
    assert len(set(epoch.tolist())) == 9
    fresh = train.BatchSampler(10, 3, seed=5)
    assert torch.equal(fresh(4), sampler(4)) and not torch.equal(sampler(0), sampler(3))


def test_device_resolution():
    assert devices.resolve_device("cpu") == torch.device("cpu")
    assert devices.resolve_device("auto").type in {"cpu", "cuda", "mps"}


def test_to_tensor_is_nchw_uint8():
    arr = np.arange(2 * 4 * 5 * 3, dtype=np.uint8).reshape(2, 4, 5, 3)
    t = data.to_tensor(arr)
    assert t.shape == (2, 3, 4, 5) and t.dtype == torch.uint8 and t[1, 2, 3, 4] == arr[1, 3, 4, 2]


def test_gmvae_trains_with_its_temperature_schedule_and_reloads(tiny_images, tmp_path):
    from auxlib.model.config import AuxGMVAEConfig

    cfg = auxlib.experiment("method", "quick", model=AuxGMVAEConfig, steps=6, batch_size=16, log_every=3,
                            checkpoint_every=3, z_g=4, z_l=4, widths=(8, 16), k=4, tau=0.5, tau_start=1.0,
                            anneal_steps=4)
    run = train.train(cfg, tiny_images, root=tmp_path, progress=False)
    assert run.model.step == 5 and run.model.tau == pytest.approx(0.5)  # the trainer told it every step
    assert "kl_y" in run.history[-1]
    again = store.load_run(run.path)
    assert type(again.model).__name__ == "AuxGMVAE" and same_weights(again.model, run.model)


# a run long enough to be killed between its first checkpoints and its end (seconds, at 10 steps a checkpoint)
_LONG = dict(steps=400, checkpoint_every=10)
_CHILD = f"""
import sys
import numpy as np
from auxlib import data, train
from tests.test_train import small_config

images = np.load(sys.argv[1])
train.train(small_config(**{_LONG!r}), data.ImageSet(images["x"], images["y"]), root=sys.argv[2], progress=False)
"""


def test_run_killed_with_sigkill_resumes_to_the_uninterrupted_result(tiny_images, tmp_path):
    cfg = small_config(**_LONG)
    reference = train.train(cfg, tiny_images, root=tmp_path / "a", progress=False)
    np.savez(tmp_path / "images.npz", x=tiny_images.images, y=tiny_images.labels)
    folder = tmp_path / "b" / cfg.key()
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(tmp_path / "images.npz"), str(tmp_path / "b")],
                             cwd=Path(__file__).resolve().parents[1])
    deadline = time.monotonic() + 120
    while not (folder / "checkpoint.pt").exists() and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    child.kill()  # SIGKILL: no handler runs, nothing is flushed
    child.wait()
    killed_mid_run = (folder / "checkpoint.pt").exists() and not (folder / "run.json").exists()
    assert killed_mid_run, "the child was not killed mid-run"
    resumed = train.train(cfg, tiny_images, root=tmp_path / "b", progress=False)
    assert same_weights(reference.model, resumed.model)
    assert resumed.history == reference.history


def test_a_run_another_process_is_training_is_waited_for_and_loaded_not_trained_twice(tiny_images, tmp_path,
                                                                                        monkeypatch):
    cfg = small_config(**_LONG)
    np.savez(tmp_path / "images.npz", x=tiny_images.images, y=tiny_images.labels)
    folder = tmp_path / cfg.key()
    owner = subprocess.Popen([sys.executable, "-c", _CHILD, str(tmp_path / "images.npz"), str(tmp_path)],
                             cwd=Path(__file__).resolve().parents[1])
    deadline = time.monotonic() + 120
    while not (folder / store.CHECKPOINT).exists() and owner.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert (folder / store.LOCK).read_text() == str(owner.pid)
    monkeypatch.setattr(train, "_loop", lambda *args: pytest.fail("a run another process trains was trained again"))
    with pytest.warns(UserWarning, match=f"is being trained by another process \\(pid {owner.pid}\\); waiting"):
        waited = train.train(cfg, tiny_images, root=tmp_path, progress=False)
    assert owner.wait() == 0 and waited.history[-1]["step"] == _LONG["steps"]
    assert not (folder / store.LOCK).exists()


def test_train_all_trains_side_by_side_and_returns_runs_in_order(tiny_images, tmp_path, monkeypatch):
    monkeypatch.setenv("AUXLIB_DATA", str(tmp_path / "data"))  # the worker processes load the data themselves
    data.save(tiny_images, data.cache_path("cifar10", "train"))
    # fp32: a worker has one torch thread, the reference two, and bf16 would round their different sums apart
    a, b = small_config(seed=0, precision="fp32"), small_config(seed=1, precision="fp32")
    runs = train.train_all([b, a, b], workers=2, progress=False)
    assert [run.config for run in runs] == [b, a, b]
    assert runs[0].shared_by == 2 and 0 < runs[0].cpu_seconds
    reference = train.train(a, tiny_images, root=tmp_path / "reference", progress=False)
    assert all(torch.allclose(x, y, atol=1e-6) for x, y in zip(reference.model.state_dict().values(),
                                                               runs[1].model.state_dict().values()))
    assert [r["loss"] for r in runs[1].history] == pytest.approx([r["loss"] for r in reference.history])
    monkeypatch.setattr(train, "train", lambda *args, **kwargs: pytest.fail("a finished run was trained again"))
    again = train.train_all([a, b], workers=2, progress=False)
    assert same_weights(again[0].model, runs[1].model)


def test_train_all_rejects_a_bad_worker_count():
    with pytest.raises(ValueError, match="^workers must be a positive integer"):
        train.train_all([small_config()], workers=0)


def test_train_command_trains_a_config_file_into_the_run_cache(tiny_images, tmp_path, monkeypatch, capsys):
    from auxlib.__main__ import main

    monkeypatch.setenv("AUXLIB_DATA", str(tmp_path / "data"))
    data.save(tiny_images, data.cache_path("cifar10", "train"))
    cfg = small_config()
    (tmp_path / "runs.json").write_text(json.dumps([cfg.to_dict()]))
    main(["train", "--config", str(tmp_path / "runs.json"), "--root", str(tmp_path / "cache")])
    record = tmp_path / "cache" / cfg.key() / "run.json"
    assert record.exists() and str(record.parent) in capsys.readouterr().out
    monkeypatch.setattr(train, "train", lambda *args, **kwargs: pytest.fail("a finished run was trained again"))
    main(["train", "--config", str(record), "--root", str(tmp_path / "cache")])  # a run's own record works too
    (tmp_path / "bad.json").write_text(json.dumps({"steps": 3}))
    with pytest.raises(SystemExit, match="^--config must name a JSON file"):
        main(["train", "--config", str(tmp_path / "bad.json")])


def test_compiled_training_follows_the_eager_loss(tiny_images, tmp_path):
    eager = train.train(small_config(steps=8, precision="fp32"), tiny_images, root=tmp_path / "a", progress=False)
    compiled = train.train(small_config(steps=8, precision="fp32", compile=True), tiny_images, root=tmp_path / "b",
                           progress=False)
    assert [r["loss"] for r in compiled.history] == pytest.approx([r["loss"] for r in eager.history], rel=1e-3)


def test_learning_rate_decays_in_steps(tiny_images, tmp_path, monkeypatch):
    seen = []
    original = train.train_step

    def recording(objective, optimiser, *args, **kwargs):
        seen.append(optimiser.param_groups[0]["lr"])
        return original(objective, optimiser, *args, **kwargs)

    monkeypatch.setattr(train, "train_step", recording)
    cfg = small_config(steps=7, lr=1e-3, lr_decay=0.5, lr_decay_every=3)
    train.train(cfg, tiny_images, root=tmp_path, progress=False)
    assert seen == pytest.approx([1e-3] * 3 + [5e-4] * 3 + [2.5e-4])
    assert cfg.key() != small_config(steps=7, lr=1e-3).key()


def test_where_trains_on_the_images_with_one_factor_value(tiny_images, tmp_path, monkeypatch):
    sizes = []
    monkeypatch.setattr(train, "BatchSampler", lambda n, *args: _Recording(sizes, n, *args))
    images = data.ImageSet(tiny_images.images, tiny_images.labels, {"polarity": (np.arange(64) < 24).astype(np.int64)})
    train.train(small_config(steps=2, where=("polarity", 1)), images, root=tmp_path, progress=False)
    assert sizes == [24]
    with pytest.raises(ValueError, match="factor must be one of the data set's factors"):
        train.train(small_config(steps=2, where=("font", 1)), images, root=tmp_path, progress=False)


def test_records_come_from_the_cache_else_the_archive_else_training(tiny_images, tmp_path, monkeypatch):
    monkeypatch.setenv("AUXLIB_DATA", str(tmp_path / "data"))
    data.save(tiny_images, data.cache_path("synth-svhn", "train"))
    cfg = small_config(dataset="synth-svhn", steps=4)
    archive = tmp_path / "archive"
    first = train.records([cfg], archive=archive, root=tmp_path / "runs", progress=False)[0]
    kept = archive / f"{cfg.key()}.json"
    assert kept.exists() and first.history == store.load_run(tmp_path / "runs" / cfg.key()).history
    # A machine without the run cache reads the archive and trains nothing.
    monkeypatch.setattr(train, "train_all", lambda *a, **k: pytest.fail("trained although the archive has it"))
    again = train.records([cfg], archive=archive, root=tmp_path / "elsewhere", progress=False)[0]
    assert again.history == first.history and again.config == cfg and again.hardware == first.hardware
    # The book's archive is read; only the first archive, this execution's own, is written.
    own = tmp_path / "own"
    read = train.records([cfg], archive=[own, archive], root=tmp_path / "elsewhere", progress=False)[0]
    assert read.history == first.history and not own.exists()
    # A run the archives lack goes from the cache into the first archive.
    train.records([cfg], archive=[own], root=tmp_path / "runs", progress=False)
    assert (own / f"{cfg.key()}.json").read_bytes() == kept.read_bytes()


def test_a_kept_record_is_read_although_the_run_cache_trained_its_key_again(tiny_images, tmp_path, monkeypatch):
    monkeypatch.setenv("AUXLIB_DATA", str(tmp_path / "data"))
    data.save(tiny_images, data.cache_path("synth-svhn", "train"))
    cfg = small_config(dataset="synth-svhn", steps=4)
    archive, own = tmp_path / "archive", tmp_path / "own"
    first = train.records([cfg], archive=archive, root=tmp_path / "runs", progress=False)[0]
    kept = (archive / f"{cfg.key()}.json").read_bytes()
    # the same key trained again elsewhere (another precision, other code): its record differs
    record = tmp_path / "runs" / cfg.key() / store.RECORD
    retrained = json.loads(record.read_text())
    retrained["history"][-1]["loss"] += 1.0
    record.write_text(json.dumps(retrained))
    for archives in (archive, [own, archive]):
        with pytest.warns(UserWarning, match=f"run {cfg.key()}: the run cache's record .* differs from the kept"):
            read = train.records([cfg], archive=archives, root=tmp_path / "runs", progress=False)[0]
        assert read.history == first.history
    assert (archive / f"{cfg.key()}.json").read_bytes() == kept and not own.exists()


@pytest.mark.parametrize("model", ["AuxVAE", "AuxGMVAE with scores"])
def test_a_run_stopped_at_its_time_limit_resumes_to_the_uninterrupted_result(tiny_images, tmp_path, model):
    from tests.test_monitor import gmvae_config

    changes = dict(steps=12, log_every=4, checkpoint_every=100)
    config = small_config(**changes) if model == "AuxVAE" else gmvae_config(**changes)
    # a limit that has always passed: each call trains one step, checkpoints and stops
    hurried = dataclasses.replace(config, train=dataclasses.replace(config.train, max_minutes=1e-9))
    assert hurried.key() == config.key()
    folder = tmp_path / "stopped" / config.key()
    for step in range(1, 6):
        with pytest.raises(train.TimeLimitReached, match=f"after step {step} of 12; run the same command again"):
            train.train(hurried, tiny_images, root=tmp_path / "stopped", progress=False)
        progress = json.loads((folder / store.PROGRESS).read_text())
        assert progress["step"] == step and len(progress["history"]) == step // 4
    resumed = train.train(config, tiny_images, root=tmp_path / "stopped", progress=False)
    whole = train.train(config, tiny_images, root=tmp_path / "whole", progress=False)
    assert same_weights(resumed.model, whole.model)
    assert [r["step"] for r in resumed.history] == [4, 8, 12]
    for a, b in zip(resumed.history, whole.history):
        assert a == pytest.approx(b, rel=1e-12)
    assert resumed.scores == whole.scores and len(resumed.scores) == (3 if model != "AuxVAE" else 0)
    assert sorted(p.name for p in folder.iterdir()) == ["model.pt", "run.json"]  # no checkpoint, no progress file


def test_a_run_resumed_with_another_thread_count_warns_and_differs_only_by_rounding(tiny_images, tmp_path):
    config = small_config(steps=12, log_every=4, checkpoint_every=100, precision="fp32")
    hurried = dataclasses.replace(config, train=dataclasses.replace(config.train, max_minutes=1e-9))
    threads = torch.get_num_threads()
    with pytest.raises(train.TimeLimitReached):
        train.train(hurried, tiny_images, root=tmp_path / "stopped", progress=False)
    torch.set_num_threads(threads + 1)
    try:
        with pytest.warns(UserWarning, match=f"was trained on cpu with {threads} torch threads? in fp32 and is "
                                             f"resumed on cpu with {threads + 1} torch threads in fp32: .* same to "
                                             "the bit"):
            resumed = train.train(config, tiny_images, root=tmp_path / "stopped", progress=False)
    finally:
        torch.set_num_threads(threads)
    whole = train.train(config, tiny_images, root=tmp_path / "whole", progress=False)
    assert all(torch.allclose(a, b, atol=1e-4) for a, b in zip(resumed.model.state_dict().values(),
                                                              whole.model.state_dict().values()))


def test_a_run_resumed_in_another_precision_warns(tiny_images, tmp_path):
    # the key leaves the precision out (it changes a run by rounding only), so the same run can be asked for in both
    config = small_config(steps=12, log_every=4, checkpoint_every=100, precision="fp32")
    in_bf16 = dataclasses.replace(config, train=dataclasses.replace(config.train, precision="bf16"))
    assert in_bf16.key() == config.key()
    hurried = dataclasses.replace(config, train=dataclasses.replace(config.train, max_minutes=1e-9))
    with pytest.raises(train.TimeLimitReached):
        train.train(hurried, tiny_images, root=tmp_path, progress=False)
    with pytest.warns(UserWarning, match=r"torch threads? in fp32 and is resumed on cpu with \d+ torch threads? in "
                                         "bf16: .* same to the bit"):
        resumed = train.train(in_bf16, tiny_images, root=tmp_path, progress=False)
    assert store.read_record(resumed.path / store.RECORD).ran_on["bf16"] is True


def test_the_command_line_reports_a_time_limit_and_continues_the_run(tmp_path, capsys, monkeypatch):
    from auxlib.__main__ import main

    monkeypatch.setenv("AUXLIB_DATA", str(tmp_path / "data"))
    images = np.random.default_rng(0).integers(0, 256, (64, 32, 32, 3), dtype=np.uint8)
    data.save(data.ImageSet(images, np.arange(64) % 10), data.cache_path("cifar10", "train", tmp_path / "data"))
    config = auxlib.experiment("method", "quick", steps=3, batch_size=16, z_g=4, z_l=4, widths=(8, 16))
    (tmp_path / "run.json").write_text(json.dumps(config.to_dict()))
    arguments = ["train", "--config", str(tmp_path / "run.json"), "--root", str(tmp_path / "runs")]
    main([*arguments, "--max-minutes", "1e-9"])
    assert "stopped at its time limit of 1e-09 minutes, after step 1 of 3" in capsys.readouterr().out
    main(arguments)
    assert f"{config.key()}: AuxVAE" in capsys.readouterr().out


def test_auto_precision_is_bf16_on_a_cpu_where_the_measured_step_is_faster(monkeypatch, tmp_path):
    cpu = torch.device("cpu")
    assert devices.uses_bf16("bf16", cpu) and not devices.uses_bf16("fp32", cpu)
    monkeypatch.setattr(devices, "SPEEDUP_FILE", tmp_path / "bf16_speedup.json")
    here = devices.machine()
    measured = []
    speedup = {"value": 1.4}

    def measure() -> float:
        measured.append(speedup["value"])
        return speedup["value"]

    monkeypatch.setattr(devices, "_measure_speedup", measure)
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: False)
    assert not devices.uses_bf16("auto", cpu) and measured == []  # no bf16 units: nothing to measure
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: True)
    assert devices.uses_bf16("auto", cpu) and measured == [1.4]
    speedup["value"] = 0.7  # kept per machine: a second process reads the first's measurement
    assert devices.uses_bf16("auto", cpu) and measured == [1.4]
    monkeypatch.setattr(devices, "machine", lambda: "another CPU")
    assert not devices.uses_bf16("auto", cpu) and measured == [1.4, 0.7]
    assert json.loads((tmp_path / "bf16_speedup.json").read_text()) == {here: 1.4, "another CPU": 0.7}


def test_the_measured_bf16_speedup_is_a_ratio_of_step_times_and_leaves_the_random_state_alone():
    # the real measurement, once: a positive ratio of an fp32 step's time to a bf16 one's, within what any CPU does;
    # a run that measured it between seeding and training must learn what one that read it from the file does
    before = torch.get_rng_state()
    assert 0.1 < devices._measure_speedup(repeats=1, steps=1) < 10
    assert torch.equal(torch.get_rng_state(), before)


@pytest.mark.parametrize("chapter", ["method", "exp2"])
def test_bf16_autocast_keeps_the_loss_terms_of_fp32(chapter, tiny_images):
    # The convolutions compute in bf16, the likelihood's log-probabilities and the KL sums in fp32: every term
    # agrees with fp32 to 0.01% (+ 0.01 nats). Log-probabilities summed in bf16 (8-bit mantissa) miss that.
    torch.manual_seed(0)
    model = auxlib.models.build(auxlib.experiment(chapter, "quick").model)
    x = data.to_tensor(tiny_images.images[:32], torch.device("cpu"))
    y = torch.as_tensor(tiny_images.labels[:32])
    terms = {}
    for bf16 in (False, True):
        torch.manual_seed(1)  # the same dropout masks and Gumbel noise
        with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            terms[bf16] = model.loss(x, y, generator=torch.Generator().manual_seed(0))
    for name, fp32 in terms[False].items():
        assert terms[True][name].dtype == torch.float32, name
        assert torch.allclose(terms[True][name], fp32, rtol=1e-4, atol=0.01), name


def test_a_checkpoint_that_cannot_be_written_names_the_file_and_the_cause(tiny_images, tmp_path, monkeypatch):
    from collections import namedtuple

    from auxlib import io
    cfg = small_config()
    real_save, calls = torch.save, []

    def save_until_the_disk_fills(obj, f):  # torch.save's own words for a full disk
        calls.append(f)
        if len(calls) == 2:
            Path(f).write_bytes(b"partial")
            raise RuntimeError("[enforce fail at inline_container.cc:603] . unexpected pos 64 vs 0")
        real_save(obj, f)

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(torch, "save", save_until_the_disk_fills)
    monkeypatch.setattr(io.shutil, "disk_usage", lambda p: usage(10**9, 10**9, 1024))
    checkpoint = tmp_path / cfg.key() / store.CHECKPOINT
    with pytest.raises(OSError, match=f"^writing {checkpoint} failed: the disk is full \\(0 MiB free in "):
        train.train(cfg, tiny_images, root=tmp_path, progress=False)
    assert torch.load(checkpoint, weights_only=True)["state"]["step"] == 4  # the previous checkpoint, whole
    assert sorted(p.name for p in checkpoint.parent.iterdir()) == [store.CHECKPOINT, store.PROGRESS]  # no debris
    monkeypatch.setattr(io.shutil, "disk_usage", lambda p: usage(10**9, 0, 10**9))
    with pytest.raises(OSError, match=f"^writing {tmp_path / 'x'} failed: PermissionError: denied; the previous"):
        with io.atomic_path(tmp_path / "x"):
            raise PermissionError("denied")


def test_a_run_records_its_cpu_time_and_the_runs_it_shared_the_machine_with(tiny_images, tmp_path):
    run = train.train(small_config(steps=4), tiny_images, root=tmp_path, progress=False)
    assert 0 < run.cpu_seconds and run.shared_by == 1
    record = store.read_record(run.path / store.RECORD)
    assert (record.cpu_seconds, record.shared_by, record.seconds) == (run.cpu_seconds, 1, run.seconds)
    bf16 = devices.uses_bf16(run.config.train.precision, torch.device("cpu"))
    assert record.ran_on == {"device": "cpu", "threads": torch.get_num_threads(), "bf16": bf16}
    loaded = store.load_run(run.path)
    assert (loaded.cpu_seconds, loaded.shared_by) == (run.cpu_seconds, 1)
    with pytest.raises(ValueError, match="^shared_by must be a positive integer, got 0."):
        train.train(small_config(steps=4), tiny_images, root=tmp_path, shared_by=0)


def test_a_record_without_cpu_time_still_loads(tiny_images, tmp_path):
    run = train.train(small_config(steps=4), tiny_images, root=tmp_path, progress=False)
    old = json.loads((run.path / store.RECORD).read_text())
    del old["cpu_seconds"], old["shared_by"], old["ran_on"]
    (run.path / store.RECORD).write_text(json.dumps(old))
    record = store.read_record(run.path / store.RECORD)
    assert record.cpu_seconds is None and record.shared_by is None and record.history == run.history
    assert record.ran_on is None
    assert store.load_run(run.path).cpu_seconds is None


def test_find_record_reads_the_kept_copy_before_the_run_cache(tiny_images, tmp_path):
    cfg = small_config(steps=4)
    run = train.train(cfg, tiny_images, root=tmp_path / "runs", progress=False)
    assert store.find_record(cfg.key(), root=tmp_path / "runs").seconds == run.seconds
    kept = json.loads((run.path / store.RECORD).read_text())
    (tmp_path / "kept").mkdir()
    (tmp_path / "kept" / f"{cfg.key()}.json").write_text(json.dumps(dict(kept, seconds=1.5)))
    assert store.find_record(cfg.key(), [tmp_path / "kept"], root=tmp_path / "runs").seconds == 1.5
    assert store.find_record("0123456789abcdef", [tmp_path / "kept"], root=tmp_path / "runs") is None
    (tmp_path / "kept" / f"{cfg.key()}.json").write_text("{")  # damaged: passed over
    assert store.find_record(cfg.key(), [tmp_path / "kept"], root=tmp_path / "runs").seconds == run.seconds
    assert store.find_record(cfg.key(), [tmp_path / "kept"], root=tmp_path / "elsewhere") is None


def test_cpu_time_is_summed_over_resumes_and_unknown_after_a_checkpoint_without_it(tiny_images, tmp_path):
    config = small_config(steps=12, log_every=4, checkpoint_every=100)
    hurried = dataclasses.replace(config, train=dataclasses.replace(config.train, max_minutes=1e-9))
    folder = tmp_path / "stopped" / config.key()
    spent = [0.0]
    for _ in range(3):
        with pytest.raises(train.TimeLimitReached):
            train.train(hurried, tiny_images, root=tmp_path / "stopped", progress=False)
        spent.append(json.loads((folder / store.PROGRESS).read_text())["cpu_seconds"])
    assert spent == sorted(spent) and spent[-1] > spent[1] > 0
    resumed = train.train(config, tiny_images, root=tmp_path / "stopped", progress=False, shared_by=3)
    assert resumed.cpu_seconds > spent[-1] and resumed.shared_by == 3
    # a checkpoint of the loop before CPU time was measured: the run trains on, its CPU time and sharing unknown
    with pytest.raises(train.TimeLimitReached):
        train.train(hurried, tiny_images, root=tmp_path / "old", progress=False)
    checkpoint = tmp_path / "old" / config.key() / store.CHECKPOINT
    payload = torch.load(checkpoint, weights_only=True)
    # "state" holds the fields the loops before the clocks know, so that they resume it too
    assert set(payload["state"]) == {"step", "history", "scores", "seconds", "sums", "count"}
    del payload["clocks"]
    torch.save(payload, checkpoint)
    old = train.train(config, tiny_images, root=tmp_path / "old", progress=False)
    assert old.cpu_seconds is None and old.shared_by is None and old.seconds > 0
    assert same_weights(old.model, resumed.model)
