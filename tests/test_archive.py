"""A chapter's runs packed into one archive and imported into another run cache: the round trip keeps keys, files
and weights, and the chapter loads the runs without training; a missing run, a foreign or altered archive and a
member that would land outside the cache are refused with one sentence, before anything is written."""

from __future__ import annotations

import fcntl
import io
import json
import re
import tarfile
from pathlib import Path

import numpy as np
import pytest
import torch

import auxlib
from auxlib import data, train
from auxlib.__main__ import main
from auxlib.training import archive

ROOT = Path(__file__).resolve().parents[1]


def tiny_config() -> auxlib.RunConfig:
    return auxlib.experiment("method", "quick", steps=6, batch_size=16, log_every=3, checkpoint_every=3, z_g=4, z_l=4,
                             widths=(8, 16))


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> tuple[auxlib.RunConfig, Path]:
    """A tiny finished run in a run cache of its own (trained once for the module): its config and the cache."""
    rng = np.random.default_rng(0)
    images = data.ImageSet(rng.integers(0, 256, size=(32, 32, 32, 3), dtype=np.uint8),
                           rng.integers(0, 10, size=32).astype(np.int64))
    cache = tmp_path_factory.mktemp("cache")
    config = tiny_config()
    train.train(config, images, root=cache, progress=False)
    return config, cache


def no_training(monkeypatch) -> data.ImageSet:
    """Make any training fail, and return a data set no run could train on: a run that is returned was loaded."""
    def refuse(*args, **kwargs):
        raise AssertionError("a run was set up for training")

    monkeypatch.setattr(train, "set_up", refuse)
    return data.ImageSet(np.zeros((0, 32, 32, 3), np.uint8), np.zeros(0, np.int64))


def same_weights(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    return all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values(), strict=True))


def test_round_trip_keeps_keys_and_files_and_the_run_loads_without_training(trained, tmp_path, monkeypatch):
    config, cache = trained
    key = config.key()
    packed = archive.pack([key, key], tmp_path / "runs.tar.gz", cache, progress=False)
    with tarfile.open(packed) as tar:
        assert sorted(tar.getnames()) == [f"{key}/model.pt", f"{key}/run.json"]
    assert archive.archive_keys(packed) == [key]

    fresh = tmp_path / "fresh"
    assert archive.unpack(packed, fresh, progress=False) == [key]
    assert sorted(p.name for p in fresh.iterdir()) == [key]  # no scratch folder left behind
    for name in ("model.pt", "run.json"):
        assert (fresh / key / name).read_bytes() == (cache / key / name).read_bytes()

    original = train.train(config, no_training(monkeypatch), root=cache, progress=False)
    loaded = train.train(config, no_training(monkeypatch), root=fresh, progress=False)
    assert loaded.path == fresh / key and loaded.config.key() == key
    assert loaded.history == original.history and loaded.seconds == original.seconds
    assert same_weights(loaded.model, original.model)


def test_runs_already_in_the_cache_are_left_as_they_are(trained, tmp_path):
    config, cache = trained
    key = config.key()
    packed = archive.pack([key], tmp_path / "runs.tar.gz", cache, progress=False)
    fresh = tmp_path / "fresh"
    archive.unpack(packed, fresh, progress=False)
    (fresh / key / "run.json").write_text((cache / key / "run.json").read_text() + "\n")  # marks this copy
    assert archive.unpack(packed, fresh, progress=False) == []
    assert (fresh / key / "run.json").read_text().endswith("}\n")


def test_an_interrupted_training_in_the_cache_is_replaced_by_the_imported_run(trained, tmp_path, monkeypatch):
    config, cache = trained
    key = config.key()
    packed = archive.pack([key], tmp_path / "runs.tar.gz", cache, progress=False)
    fresh = tmp_path / "fresh"
    (fresh / key).mkdir(parents=True)
    (fresh / key / "checkpoint.pt").write_bytes(b"an interrupted training's checkpoint")
    (fresh / key / "progress.json").write_text("{}")
    assert archive.unpack(packed, fresh, progress=False) == [key]
    assert sorted(p.name for p in (fresh / key).iterdir()) == ["model.pt", "run.json"]
    assert train.train(config, no_training(monkeypatch), root=fresh, progress=False).path == fresh / key


def test_a_run_being_trained_is_not_imported_over(trained, tmp_path):
    config, cache = trained
    key = config.key()
    packed = archive.pack([key], tmp_path / "runs.tar.gz", cache, progress=False)
    folder = tmp_path / "fresh" / key
    folder.mkdir(parents=True)
    with open(folder / "train.lock", "a+") as lock:  # as store.training_lock holds it while it trains
        fcntl.flock(lock, fcntl.LOCK_EX)
        assert archive.unpack(packed, tmp_path / "fresh", progress=False) == []
    assert sorted(p.name for p in folder.iterdir()) == ["train.lock"]


def test_packing_a_run_that_is_not_in_the_cache_names_it_and_writes_nothing(trained, tmp_path):
    config, cache = trained
    missing = "0123456789abcdef"
    out = tmp_path / "runs.tar.gz"
    with pytest.raises(ValueError, match=rf"^run {missing} is not finished in the run cache {re.escape(str(cache))} "
                                         r".*execute the chapter first"):
        archive.pack([config.key(), missing], out, cache, progress=False)
    assert not out.exists() and list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError, match=r"keys must be run keys \(16 hex digits\), got '\.\./evil'"):
        archive.pack(["../evil"], out, cache, progress=False)


def add(tar: tarfile.TarFile, name: str, payload: bytes = b"x", kind: bytes = tarfile.REGTYPE,
        target: str = "") -> None:
    member = tarfile.TarInfo(name)
    member.type, member.linkname, member.size = kind, target, len(payload) if kind == tarfile.REGTYPE else 0
    tar.addfile(member, io.BytesIO(payload) if kind == tarfile.REGTYPE else None)


@pytest.mark.parametrize("name, kind, target", [
    ("../evil", tarfile.REGTYPE, ""),
    ("{key}/../../evil", tarfile.REGTYPE, ""),
    ("/tmp/evil", tarfile.REGTYPE, ""),
    ("{key}/link", tarfile.SYMTYPE, "/etc/passwd"),
    ("{key}/hard", tarfile.LNKTYPE, "{key}/run.json"),
    ("{key}/sub/file", tarfile.REGTYPE, ""),
    ("notakey/file", tarfile.REGTYPE, ""),
], ids=["dotdot", "dotdot-inside-a-run", "absolute", "symlink", "hardlink", "nested", "not-a-key"])
def test_an_archive_with_a_member_outside_a_run_folder_is_refused_before_anything_is_written(
        trained, tmp_path, name, kind, target):
    config, cache = trained
    key = config.key()
    bad = tmp_path / "bad.tar.gz"
    with tarfile.open(bad, "w:gz") as tar:
        for file in sorted((cache / key).iterdir()):
            tar.add(file, arcname=f"{key}/{file.name}")
        add(tar, name.format(key=key), kind=kind, target=target.format(key=key))
    fresh = tmp_path / "deep" / "fresh"
    with pytest.raises(ValueError, match=rf"holds the \w+ '{re.escape(name.format(key=key))}', so nothing was"):
        archive.unpack(bad, fresh, progress=False)
    assert not (fresh / key).exists()
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["bad.tar.gz"]  # no evil file, no folder created


def test_a_file_that_is_not_an_archive_of_runs_is_refused(trained, tmp_path):
    config, cache = trained
    key = config.key()
    text = tmp_path / "notes.tar.gz"
    text.write_text("not an archive")
    with pytest.raises(ValueError, match=r"must be a \.tar\.gz of runs written by pack-runs; .* is not one"):
        archive.unpack(text, tmp_path / "fresh", progress=False)
    empty = tmp_path / "empty.tar.gz"
    tarfile.open(empty, "w:gz").close()
    with pytest.raises(ValueError, match=r"holds none\.$"):
        archive.unpack(empty, tmp_path / "fresh", progress=False)
    weights_only = tmp_path / "weights.tar.gz"
    with tarfile.open(weights_only, "w:gz") as tar:
        tar.add(cache / key / "model.pt", arcname=f"{key}/model.pt")
    with pytest.raises(ValueError, match=rf"holds the run {key} without its run\.json"):
        archive.unpack(weights_only, tmp_path / "fresh", progress=False)
    assert not (tmp_path / "fresh" / key).exists()


def test_a_run_filed_under_another_key_is_refused(trained, tmp_path):
    config, cache = trained
    key, other = config.key(), "fedcba9876543210"
    altered = tmp_path / "altered.tar.gz"
    with tarfile.open(altered, "w:gz") as tar:
        for file in sorted((cache / key).iterdir()):
            tar.add(file, arcname=f"{other}/{file.name}")
    with pytest.raises(ValueError, match=rf"holds the run {key} in the folder of the run {other}"):
        archive.unpack(altered, tmp_path / "fresh", progress=False)
    assert [p.name for p in (tmp_path / "fresh").iterdir()] == []  # not even a scratch folder


def test_runs_of_the_committed_exp1_2_results():
    results = json.loads((ROOT / "book" / "results" / "exp1_2.json").read_text())
    keys = archive.runs_of(results)
    assert keys == sorted(set(keys)) and all(re.fullmatch(r"[0-9a-f]{16}", k) for k in keys)
    assert set(results["train_seconds"]) <= set(keys)
    assert set(results["sweep"]["runs"].values()) <= set(keys)  # a mapping of setting -> key
    assert results["beyond"] and all(set(b["runs"]) <= set(keys) for b in results["beyond"].values())  # lists of keys
    assert results["sweep"]["curve"]["run"] in keys and results["classifier"]["run"] in keys
    assert not any(k in results["environment"]["commit"] for k in keys)


def test_runs_of_takes_only_keys_where_runs_are_named():
    results = {"run": "0123456789abcdef", "seed_runs": {"1": {"standard": "1111111111111111"}},
               "train_seconds": {"2222222222222222": 3.0, "total": 1.0}, "models": {"m": {"train_seconds": 4.0}},
               "runs": 4, "label": "3333333333333333", "commit": "4444444444444444", "other_run": "ABCDEF0123456789"}
    assert archive.runs_of(results) == ["0123456789abcdef", "1111111111111111", "2222222222222222"]


def test_command_line_packs_a_chapter_and_imports_it(trained, tmp_path, capsys, monkeypatch):
    config, cache = trained
    key = config.key()
    results, curve = tmp_path / "results", "aaaaaaaaaaaaaaaa"
    (results / "records").mkdir(parents=True)
    (results / "records" / f"{curve}.json").write_text("{}")  # a run the chapter reads only as a kept record
    (results / "method.json").write_text(json.dumps({"run": key, "train_seconds": {key: 1.0, curve: 2.0}}))
    out = tmp_path / "method-runs.tar.gz"
    main(["pack-runs", "method", str(out), "--results", str(results), "--root", str(cache)])
    said = capsys.readouterr().out
    assert re.fullmatch(rf"packed 1 run that method\.json names \(\d+\.\d MB\) into {re.escape(str(out))}; "
                        rf"1 more are read from their records in {re.escape(str(results / 'records'))}\n", said)
    assert archive.archive_keys(out) == [key]
    fresh = tmp_path / "fresh"
    main(["import-runs", str(out), "--root", str(fresh)])
    assert re.fullmatch(rf"imported 1 of the 1 run in {re.escape(str(out))} \(\d+\.\d MB\) into {fresh}\n",
                        capsys.readouterr().out)
    main(["import-runs", str(out), "--root", str(fresh)])
    assert capsys.readouterr().out.endswith("; 1 were there already, or are being trained there\n")
    assert train.train(config, no_training(monkeypatch), root=fresh, progress=False).path == fresh / key
    with pytest.raises(SystemExit, match=r"method\.json: run 0123456789abcdef is not finished in the run cache"):
        (results / "method.json").write_text(json.dumps({"run": "0123456789abcdef"}))
        main(["pack-runs", str(results / "method.json"), str(out), "--root", str(cache)])
    with pytest.raises(SystemExit, match=r"nope\.json does not exist \(execute the chapter first"):
        main(["pack-runs", "nope", str(out), "--results", str(results)])
