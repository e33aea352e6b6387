"""Files and folders: writing so that a crash never leaves a half-written file behind, and where auxlib keeps
what it caches."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

#: The folder under which auxlib caches data sets (``data``) and runs (``runs``) unless told otherwise.
CACHE = Path.home() / ".cache" / "auxlib"


def configured_folder(given: str | os.PathLike | None, variable: str, default: Path) -> Path:
    """A folder setting: ``given`` when it is not None, else the environment variable ``variable`` when it is set,
    else ``default``."""
    if given is not None:
        return Path(given)
    return Path(os.environ[variable]) if variable in os.environ else default


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` in one rename, on error it is
    deleted."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp creates 0600; give the file the usual permissions
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
