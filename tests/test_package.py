"""`pip install .` into a fresh virtual environment gives a package that imports every module and trains."""

import shutil
import subprocess
import sysconfig
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = """
import numpy as np
import auxlib
from auxlib import SUBMODULES, data, train
for name in SUBMODULES:
    getattr(auxlib, name)
rng = np.random.default_rng(0)
images = data.ImageSet(rng.integers(0, 256, (64, 32, 32, 3), dtype=np.uint8), rng.integers(0, 10, 64))
config = auxlib.experiment("method", "quick", dataset="cifar10", steps=4, batch_size=16, log_every=2,
                           checkpoint_every=2, z_g=4, z_l=4, widths=(8, 16))
run = train.train(config, images, progress=False)
print(run.history[-1]["step"], auxlib.models.__file__)
"""


def test_pip_install_gives_a_package_that_imports_and_trains(tmp_path):
    source = tmp_path / "source"  # a copy, so that the build leaves nothing in the repository
    shutil.copytree(ROOT / "auxlib", source / "auxlib", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    env = tmp_path / "venv"
    venv.create(env, with_pip=True)
    python = env / "bin" / "python"
    # The dependencies (torch and the rest) are read from this environment, so that the test runs offline;
    # a plain path in a .pth file runs none of the .pth files there, so the editable auxlib stays out of sight.
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                          check=True, capture_output=True, text=True).stdout.strip()
    Path(site, "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    subprocess.run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps",
                    "--no-build-isolation", "--no-index", str(source)], check=True, capture_output=True, cwd=tmp_path)
    out = subprocess.run([python, "-c", SCRIPT], check=True, capture_output=True, text=True, cwd=tmp_path,
                         env={"AUXLIB_RUNS": str(tmp_path / "runs"), "HOME": str(tmp_path)}).stdout.split()
    assert out[0] == "4" and out[1].startswith(str(env)), out  # trained by the installed copy, not the source tree
