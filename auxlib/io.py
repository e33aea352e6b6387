"""Files and folders: writing so that a crash never leaves a half-written file behind, and where auxlib keeps
what it caches."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
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


#: Below this many free bytes on its disk, a failed write is put down to a full disk.
LOW_SPACE = 64 * 2**20


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` in one rename, on error it is
    deleted and ``path`` is left as it was.

    Raises:
        OSError: when the write fails for the file system (a full disk, no permission), naming ``path`` and the
            cause; writers report a full disk in their own words (``torch.save``: "unexpected pos ...").
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp creates 0600; give the file the usual permissions
        os.replace(tmp, path)
    except (OSError, RuntimeError) as error:
        Path(tmp).unlink(missing_ok=True)
        free = shutil.disk_usage(path.parent).free
        if free < LOW_SPACE or getattr(error, "errno", None) == errno.ENOSPC:
            cause = f"the disk is full ({free / 2**20:.0f} MiB free in {path.parent})"
        else:
            cause = f"{type(error).__name__}: {error}"
        raise OSError(f"writing {path} failed: {cause}; the previous file, if any, is unchanged.") from error
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


#: The prefix of an import's scratch folder, followed by the importing process's pid: ``.import-<pid>-...``.
SCRATCH = ".import-"


def scratch_parent(folder: Path) -> Path:
    """``folder``, created if missing and cleared of the scratch folders (:data:`SCRATCH`) of imports whose
    process has died, so that an interrupted import leaves nothing behind for long. Scratch folders live inside
    the folder they import into, so that moving a finished import into place is one rename."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob(f"{SCRATCH}*"):
        pid = old.name.removeprefix(SCRATCH).split("-")[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(old, ignore_errors=True)
    return folder


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True
