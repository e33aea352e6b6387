"""The GPU check's dry run on the CPU: the whole of benchmarks/gpu_check.sh with a half-minute training budget,
so that a GPU's minutes are never spent on a mistake in the script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from auxlib.training.store import read_record

ROOT = Path(__file__).resolve().parents[1]


def test_the_gpu_check_runs_through_on_the_cpu(tmp_path):
    out = tmp_path / "out"
    env = {**os.environ, "PYTHON": sys.executable, "AUXLIB_RUNS": str(tmp_path / "runs")}
    finished = subprocess.run(["bash", "benchmarks/gpu_check.sh", str(out), "--device", "cpu", "--minutes", "0.3",
                               "--score-every", "2", "--quick"], cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=1200)
    summary = (out / "summary.txt").read_text()
    assert finished.returncode == 0, summary + (out / "log.txt").read_text()[-3000:]
    assert sorted(p.name for p in out.iterdir()) == ["exp2_paper.json", "log.txt", "progress.json", "summary.txt",
                                                     "throughput.txt"]
    assert all(p.stat().st_size < 16 * 2**20 for p in out.iterdir())  # each small enough to come back
    log = (out / "log.txt").read_text()
    assert "torch" in log and " passed" in log and "stopped at its time limit of 0.3 minutes" in log
    assert (out / "throughput.txt").read_text().count("(b)/(a) = ") == 2  # both architectures
    record = read_record(out / "progress.json")
    assert record.config.model.branch == "split" and record.config.model.posterior == "joint"
    assert record.config.dataset == "synth-svhn" and not record.config.extra
    assert record.scores and {"acc", "nmi", "clusters_used", "images"} <= set(record.scores[-1])
    assert json.loads((out / "progress.json").read_text())["step"] > 0 and record.hardware.startswith("cpu")
    assert (tmp_path / "runs" / record.config.key() / "checkpoint.pt").exists()  # the run goes on from there
