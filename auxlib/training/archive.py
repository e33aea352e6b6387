"""Moving trained runs between machines: the runs a chapter's results name, packed into one ``.tar.gz`` with their
folders as the run cache holds them (weights, record, config), and imported into another run cache, where the
chapter then loads them instead of training (:func:`auxlib.train.train`).

An archive holds one folder per run, ``<run key>/<file>``, and nothing else; the keys are unchanged, so a run
imported anywhere is found under the config that names it. Packing writes the archive whole or not at all
(:func:`auxlib.io.atomic_path`); importing extracts into a scratch folder inside the run cache and moves each run
into place in one rename, so a run appears whole or not at all, and refuses an archive holding anything else
(absolute paths, ``..``, links) before it writes anything.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import gzip
import os
import re
import shutil
import tarfile
import tempfile
import warnings
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from tqdm import tqdm

from ..io import SCRATCH, atomic_path, scratch_parent
from .store import CHECKPOINT, DIVERGED, LOCK, PROGRESS, RECORD, read_record, runs_root

#: A run key as :meth:`auxlib.config.RunConfig.key` makes it: 16 lowercase hex digits, the name of its folder.
KEY = re.compile(r"[0-9a-f]{16}")
# Weights are floats that gzip barely shrinks (a few per cent at any level): level 6 packs as small as 9, faster.
_LEVEL = 6
# Python >= 3.10.12 and 3.11.4 have tarfile's "data" filter, a second guard beside the check of every member.
_SAFE: dict[str, Any] = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
# What a damaged or foreign file raises while tarfile reads it.
_UNREADABLE = (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile)


def runs_of(results: dict[str, Any]) -> list[str]:
    """Every run key a chapter's results (the dict of ``book/results/<chapter>.json``) names, sorted, each once.

    Keys are found at any depth in two places: the keys of a ``train_seconds`` mapping (run key -> seconds), and
    the strings anywhere inside a field named ``run`` or ``runs``, or ending in ``_run`` or ``_runs``
    (``compared_runs``, ``seed_runs``): a key itself, or a list or mapping of them. Only strings of 16 hex digits
    count (:data:`KEY`), so a count of runs or a commit hash is never taken for one.
    """
    found: set[str] = set()

    def walk(value: Any, names_runs: bool) -> None:
        if isinstance(value, dict):
            for name, item in value.items():
                if name == "train_seconds" and isinstance(item, dict):
                    found.update(k for k in item if isinstance(k, str) and KEY.fullmatch(k))
                walk(item, names_runs or (isinstance(name, str) and _names_runs(name)))
        elif isinstance(value, list):
            for item in value:
                walk(item, names_runs)
        elif names_runs and isinstance(value, str) and KEY.fullmatch(value):
            found.add(value)

    walk(results, False)
    return sorted(found)


def _names_runs(field: str) -> bool:
    return field in ("run", "runs") or field.endswith(("_run", "_runs"))


def pack(keys: Iterable[str], out_path: str | os.PathLike, runs_dir: str | os.PathLike | None = None, *,
         progress: bool = True) -> Path:
    """Write the runs ``keys`` name, each the folder ``<run key>/`` with its files as the run cache holds them
    (``model.pt``, ``run.json``; a diverged run's ``diverged.json`` and checkpoint), into one ``.tar.gz`` at
    ``out_path``, whole or not at all; returns its path.

    Args:
        keys: run keys (16 hex digits, :meth:`auxlib.config.RunConfig.key`), e.g. :func:`runs_of` a chapter's
            results; repeats are packed once.
        out_path: the archive to write (replaced if it exists).
        runs_dir: the run cache (see :func:`auxlib.store.runs_root`).
        progress: show a tqdm bar over the runs.

    Raises:
        ValueError: when ``keys`` is empty or holds something that is not a run key, or when a run is not finished
            in the run cache (its ``run.json``, or ``diverged.json``, missing); the sentence names every such key.
    """
    root = runs_root(runs_dir)
    wanted = sorted(set(keys))
    if not wanted:
        raise ValueError("keys must name at least one run, got none.")
    bad = [k for k in wanted if not isinstance(k, str) or not KEY.fullmatch(k)]
    if bad:
        raise ValueError(f"keys must be run keys (16 hex digits), got {', '.join(map(repr, bad))}.")
    missing = [k for k in wanted if not _finished(root / k)]
    if missing:
        raise ValueError(f"run{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
                         f"{'are' if len(missing) > 1 else 'is'} not finished in the run cache {root} (no "
                         f"{RECORD} there): execute the chapter first, which trains them, or point runs_dir "
                         "(--root, $AUXLIB_RUNS) at the cache that holds them.")
    out = Path(out_path)
    with atomic_path(out) as tmp, tarfile.open(tmp, "w:gz", compresslevel=_LEVEL) as tar:
        for key in tqdm(wanted, desc="pack runs", disable=not progress):
            for file in _run_files(root / key):
                tar.add(file, arcname=f"{key}/{file.name}", recursive=False, filter=_anonymous)
    return out


def _run_files(folder: Path) -> list[Path]:
    """A run's files to pack: every plain file of its folder but the lock of a training process, the temporary
    files of a write in progress (``.<name>.*.tmp``) and files set aside as unreadable (``*.corrupt``)."""
    return sorted(f for f in folder.iterdir() if f.is_file() and not f.is_symlink() and f.name != LOCK
                  and not f.name.startswith(".") and not f.name.endswith(".corrupt"))


def _anonymous(member: tarfile.TarInfo) -> tarfile.TarInfo:
    """The member without the packer's user and group, which mean nothing on the machine that imports it."""
    member.uid = member.gid = 0
    member.uname = member.gname = ""
    return member


def is_cached(key: str, runs_dir: str | os.PathLike | None = None) -> bool:
    """Whether the run cache holds the run ``key`` as :func:`pack` takes it: finished, or diverged (whose record a
    chapter shows up to where it diverged, :func:`auxlib.train.records`)."""
    return _finished(runs_root(runs_dir) / key)


def _finished(folder: Path) -> bool:
    return (folder / RECORD).exists() or (folder / DIVERGED).exists()


def archive_keys(archive_path: str | os.PathLike) -> list[str]:
    """The run keys an archive of :func:`pack` holds, in its order.

    Raises:
        ValueError: when the file is not such an archive (see :func:`unpack`).
    """
    path = Path(archive_path)
    with _open(path) as tar:
        return list(_runs_in(tar, path))


def unpack(archive_path: str | os.PathLike, runs_dir: str | os.PathLike | None = None, *,
           progress: bool = True) -> list[str]:
    """Import the runs of an archive of :func:`pack` into the run cache; returns the keys imported, in the
    archive's order. A run the cache already holds (finished or diverged), or that a process is training there
    now, is skipped and left as it is: the keys of the archive (:func:`archive_keys`) not returned are those.

    Every member is checked before anything is written: each must be a plain file ``<run key>/<file>`` (or the
    folder ``<run key>``), each run must hold its record, and each record's config must hash to its folder's key.
    The runs are extracted into a scratch folder inside the run cache, then each moves into place in one rename,
    so a run appears whole or not at all; a run whose folder holds an interrupted training (a checkpoint) gets the
    imported files, its record last, and loses the checkpoint, as a finished training would
    (:func:`auxlib.store.save_finished`).

    Args:
        archive_path: the ``.tar.gz`` (or ``.tar``) that :func:`pack` wrote.
        runs_dir: the run cache (see :func:`auxlib.store.runs_root`), created if missing.
        progress: show a tqdm bar over the runs.

    Raises:
        ValueError: when the file is not an archive of runs (not a tar, empty, or a member that is not a plain file
            of a run folder: an absolute path, ``..``, a link), or a run's record is missing or names another key.
    """
    path = Path(archive_path)
    root = runs_root(runs_dir)
    with _open(path) as tar:
        runs = _runs_in(tar, path)
        todo = [k for k in runs if not _finished(root / k)]
        if not todo:
            return []
        scratch = Path(tempfile.mkdtemp(dir=scratch_parent(root), prefix=f"{SCRATCH}{os.getpid()}-"))
        try:
            # every run is extracted and checked before the first one is moved: a bad archive imports nothing
            for key in tqdm(todo, desc="import runs", disable=not progress):
                try:
                    tar.extractall(scratch, members=runs[key], **_SAFE)
                except _UNREADABLE as error:
                    raise ValueError(f"archive_path {path} is damaged: its run {key} cannot be read "
                                     f"({type(error).__name__}: {error}).") from None
                _check_key(scratch / key, key, path)
            return [key for key in todo if _place(scratch / key, root / key)]
        finally:
            shutil.rmtree(scratch, ignore_errors=True)


@contextlib.contextmanager
def _open(path: Path) -> Iterator[tarfile.TarFile]:
    """The archive at ``path`` opened for reading; ValueError when it is no tar archive."""
    try:
        tar = tarfile.open(path, "r:*")
    except _UNREADABLE as error:
        raise ValueError(f"archive_path must be a .tar.gz of runs written by pack-runs; {path} is not one "
                         f"({type(error).__name__}: {error}).") from None
    with tar:
        yield tar


def _runs_in(tar: tarfile.TarFile, path: Path) -> dict[str, list[tarfile.TarInfo]]:
    """The archive's members by run key, in its order, each checked to be a plain file ``<key>/<name>`` or the
    folder ``<key>``; ValueError at the first that is not, or when a run has no record or the archive none."""
    try:
        members = tar.getmembers()
    except _UNREADABLE as error:
        raise ValueError(f"archive_path {path} is damaged and cannot be read ({type(error).__name__}: "
                         f"{error}).") from None
    runs: dict[str, list[tarfile.TarInfo]] = {}
    for member in members:
        parts = PurePosixPath(member.name).parts
        plain = (len(parts) == 2 and member.isfile()) or (len(parts) == 1 and member.isdir())
        if member.name.startswith("/") or ".." in parts or not parts or not KEY.fullmatch(parts[0]) or not plain:
            kind = "link" if member.issym() or member.islnk() else "folder" if member.isdir() else "file"
            raise ValueError(f"archive_path must be an archive of runs written by pack-runs, holding only plain files "
                             f"<run key>/<file>; {path} holds the {kind} {member.name!r}, so nothing was imported.")
        runs.setdefault(parts[0], []).append(member)
    if not runs:
        raise ValueError(f"archive_path must be an archive of runs written by pack-runs; {path} holds none.")
    for key, items in runs.items():
        if not {RECORD, DIVERGED} & {PurePosixPath(m.name).name for m in items}:
            raise ValueError(f"archive_path {path} holds the run {key} without its {RECORD}, so nothing was "
                             "imported.")
    return runs


def _check_key(folder: Path, key: str, path: Path) -> None:
    """ValueError when the record in an extracted run ``folder`` is unreadable or its config hashes to another key
    than ``key``: loaded under ``key``, it would stand for a config it was not trained with."""
    record = folder / (RECORD if (folder / RECORD).exists() else DIVERGED)
    try:
        actual = read_record(record).config.key()
    except (OSError, KeyError, TypeError, AttributeError) as error:
        raise ValueError(f"archive_path {path} holds the run {key} with an unreadable {record.name} "
                         f"({type(error).__name__}: {error}), so nothing was imported.") from None
    except ValueError as error:  # a model variant whose module is not imported here: its key cannot be computed
        warnings.warn(f"the run {key} of {path} is imported without checking its key: its config cannot be read "
                      f"here ({error}).", stacklevel=3)
        return
    if actual != key:
        raise ValueError(f"archive_path {path} holds the run {actual} in the folder of the run {key}: the archive "
                         "was changed after pack-runs wrote it, so nothing was imported.")


def _place(staged: Path, folder: Path) -> bool:
    """Move the run extracted to ``staged`` into its run cache ``folder``; False when it is not moved, because the
    cache holds the run by now or a process is training it there."""
    try:
        os.rename(staged, folder)  # no folder yet (or an empty one): the run appears whole, in one rename
        return True
    except OSError as error:
        if error.errno not in (errno.EEXIST, errno.ENOTEMPTY):
            raise
    with _lock_if_free(folder) as free:  # as a trainer would, so that no training writes there meanwhile
        if not free or _finished(folder):
            return False
        files = sorted(staged.iterdir(), key=lambda f: f.name in (RECORD, DIVERGED))
        for file in files:  # the record last: the store counts a run as finished once its record is there
            os.replace(file, folder / file.name)
        if (folder / RECORD).exists():  # the interrupted training's checkpoint is outdated by the finished run
            for stale in {CHECKPOINT, PROGRESS} - {f.name for f in files}:
                (folder / stale).unlink(missing_ok=True)
    return True


@contextlib.contextmanager
def _lock_if_free(folder: Path) -> Iterator[bool]:
    """Hold the training lock of the run in ``folder`` (:func:`auxlib.store.training_lock`) when no process holds
    it, yielding True; yield False at once when one does, rather than wait for a training that may take hours."""
    path = folder / LOCK
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        if not (path.exists() and os.path.samefile(path, handle.fileno())):
            yield False  # its holder let it go and removed it meanwhile: another may hold a new one
            return
        handle.truncate(0)
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield True
        finally:
            path.unlink(missing_ok=True)


def folder_bytes(folder: str | os.PathLike) -> int:
    """The size of the plain files of a folder, in bytes (not recursive: a run folder has no subfolders)."""
    return sum(f.stat().st_size for f in Path(folder).iterdir() if f.is_file())
