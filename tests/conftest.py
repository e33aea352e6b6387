"""Shared fixtures: every test gets its own run cache and results folder; data tests fail or skip by policy."""

from __future__ import annotations

import os

import numpy as np
import pytest

from auxlib import data


def pytest_collection_modifyitems(config, items):
    """Deselect the tests marked ``device`` where there is no accelerator to run them on: no CUDA, and no device
    named by ``$AUXLIB_TEST_DEVICE`` (the GPU check's dry run sets it to cpu)."""
    import torch

    if os.environ.get("AUXLIB_TEST_DEVICE") or torch.cuda.is_available():
        return
    deselected = [item for item in items if item.get_closest_marker("device")]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if not item.get_closest_marker("device")]


@pytest.fixture(autouse=True)
def isolated_outputs(tmp_path, monkeypatch):
    """Runs and results go to a temporary folder, never to the user's cache or the committed book."""
    monkeypatch.setenv("AUXLIB_RUNS", str(tmp_path / "runs"))
    monkeypatch.setenv("AUXLIB_RESULTS", str(tmp_path / "results"))


def require_dataset(name: str, split: str = "train") -> None:
    """Skip when a real data set is not in the cache, or fail when AUXLIB_REQUIRE_DATA=1 (as in CI)."""
    if data.cache_path(name, split).exists():
        return
    message = f"{name}/{split} is not in {data.data_root()} (see README: data)"
    if os.environ.get("AUXLIB_REQUIRE_DATA") == "1":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def tiny_images() -> data.ImageSet:
    """64 random 32x32 RGB images with labels 0-9: enough to exercise training, not to learn anything."""
    rng = np.random.default_rng(0)
    return data.ImageSet(rng.integers(0, 256, size=(64, 32, 32, 3), dtype=np.uint8),
                         rng.integers(0, 10, size=64).astype(np.int64))


def write_svhn(folder, split: str, images: np.ndarray, labels: np.ndarray) -> None:
    """Write ``images`` (NHWC uint8) and ``labels`` (0-9) as SVHN's ``<split>_32x32.mat`` in ``folder``: ``X`` a
    32 x 32 x 3 x N array and ``y`` N x 1 labels in 1..10, with 10 standing for the digit 0."""
    from scipy.io import savemat

    folder.mkdir(parents=True, exist_ok=True)
    savemat(folder / f"{split}_32x32.mat", {"X": np.ascontiguousarray(images.transpose(1, 2, 3, 0)),
                                            "y": np.where(labels == 0, 10, labels).astype(np.uint8)[:, None]})
