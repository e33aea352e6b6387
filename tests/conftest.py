"""Shared fixtures: every test gets its own run cache and results folder; data tests fail or skip by policy."""

from __future__ import annotations

import os

import numpy as np
import pytest

from auxlib import data


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
