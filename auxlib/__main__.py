"""Command line.

``python -m auxlib import-data PATH --name NAME [--root DIR] [--force]`` converts an ImageFolder copy of a data
set (``PATH/<split>/<class>/*.jpg``), or a ``.tar.gz`` of one, into auxlib's data cache, for machines where
torchvision cannot download it.

``python -m auxlib config CHAPTER [--profile P] [--dataset D] [--set NAME=VALUE ...]`` prints the run config a
chapter's profile gives (as :func:`auxlib.experiment` builds it, e.g. ``--set beta=4 aux=false``) as JSON, and
``python -m auxlib train --config FILE [--workers N] [--root DIR] [--max-minutes M]`` trains the runs of such a
file (one config, a list of them, or a run's ``run.json``) into the run cache, where the notebooks find them (with
``--max-minutes``, each call trains for at most M minutes and the same command continues); launched with
``torchrun --nproc_per_node N -m auxlib train ...`` each run trains on N processes (GPUs, or CPU processes).

``python -m auxlib pack-runs CHAPTER OUT.tar.gz [--results DIR] [--root DIR]`` packs the runs a chapter's results file
names (``CHAPTER`` is a chapter's name, whose ``<CHAPTER>.json`` is read from the book's results folder or
``--results``, or a results ``.json`` file) with their weights and records into one archive (leaving out a run that is
not in the run cache but whose record is kept in ``records/`` beside the results, all the chapter reads of it), and
``python -m auxlib import-runs ARCHIVE [--root DIR]`` imports such an archive into the run cache, where the chapter then
loads the runs instead of training them (:mod:`auxlib.training.archive`).

``python -m auxlib book-parameters NOTEBOOK`` prints, as YAML, the parameters the committed book executes a
chapter with (``book/parameters.yml``), for ``papermill -y``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path
from typing import Any

import torch
import yaml

from . import book, data
from .book import results, tables
from .book.profiles import PROFILE_NAMES, PROFILES, experiment
from .checks import read_yaml
from .model.config import DATASETS, RunConfig
from .training import archive, devices, store, train


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m auxlib", description="auxlib command line")
    sub = parser.add_subparsers(dest="command", required=True)
    imp = sub.add_parser("import-data", help="import an ImageFolder tree, or a .tar.gz of one, into the data cache")
    imp.add_argument("path")
    imp.add_argument("--name", required=True, choices=sorted(DATASETS))
    imp.add_argument("--root", default=None, help="data root (default: $AUXLIB_DATA or ~/.cache/auxlib/data)")
    imp.add_argument("--force", action="store_true", help="import again even if the cache holds the data set")
    params = sub.add_parser("book-parameters", help="print the parameters the book executes a chapter with")
    params.add_argument("notebook")
    cfg = sub.add_parser("config", help="print the run config of a chapter's profile as JSON")
    cfg.add_argument("chapter", choices=sorted(PROFILES))
    cfg.add_argument("--profile", default="standard", choices=PROFILE_NAMES)
    cfg.add_argument("--dataset", default="cifar10", choices=sorted(DATASETS))
    cfg.add_argument("--set", nargs="*", default=[], metavar="NAME=VALUE", help="override a parameter (YAML value)")
    run = sub.add_parser("train", help="train the runs of a config file into the run cache")
    run.add_argument("--config", required=True, help="JSON: a run config, a list of them, or a run.json")
    run.add_argument("--workers", type=int, default=1, help="runs trained side by side (default 1)")
    run.add_argument("--root", default=None, help="run cache (default: $AUXLIB_RUNS or ~/.cache/auxlib/runs)")
    run.add_argument("--max-minutes", type=float, default=None,
                     help="checkpoint and stop each run after this many minutes; the same command continues it")
    pack = sub.add_parser("pack-runs", help="pack the runs a chapter uses (weights, records) into one .tar.gz")
    pack.add_argument("chapter", help="a chapter's name (its <chapter>.json in --results) or a results .json file")
    pack.add_argument("out", help="the archive to write, e.g. exp1_2-runs.tar.gz")
    pack.add_argument("--results", default=None,
                      help="results folder (default: $AUXLIB_RESULTS, else the book's book/results)")
    pack.add_argument("--root", default=None, help="run cache (default: $AUXLIB_RUNS or ~/.cache/auxlib/runs)")
    unpack = sub.add_parser("import-runs", help="import an archive of pack-runs into the run cache")
    unpack.add_argument("archive")
    unpack.add_argument("--root", default=None, help="run cache (default: $AUXLIB_RUNS or ~/.cache/auxlib/runs)")
    timing = sub.add_parser("time-chapters", help="time every chapter on an empty run cache at a profile")
    timing.add_argument("--profile", default="quick", choices=PROFILE_NAMES)
    timing.add_argument("--book", default="book", help="the book's source folder (default: book)")
    args = parser.parse_args(argv)

    if args.command == "config":
        try:
            config = experiment(args.chapter, args.profile, args.dataset, **_assignments(args.set))
        except ValueError as error:  # a value the checks refuse: their one sentence, not a traceback
            raise SystemExit(str(error)) from None
        print(json.dumps(config.to_dict(), indent=1))
        return

    if args.command == "train":
        configs = _read_configs(args.config)
        if args.max_minutes is not None:
            configs = [dataclasses.replace(c, train=dataclasses.replace(c.train, max_minutes=args.max_minutes))
                       for c in configs]
        lead = devices.torchrun_rank()[0] == 0
        try:
            finished = train.train_all(configs, workers=args.workers, root=args.root)
        except train.TimeLimitReached as stopped:  # a planned stop: the same command continues the run
            finished = []
            if lead:
                print(stopped)
        finally:
            if torch.distributed.is_initialized():
                torch.distributed.destroy_process_group()
        for done in finished if lead else []:
            kind = type(done.config.model).__name__.removesuffix("Config")
            print(f"{done.path}: {kind}, {tables.duration(done.seconds)} of training")
        return

    if args.command == "pack-runs":
        path = _results_file(args.chapter, args.results)
        kept = path.parent / "records"
        try:
            keys = archive.runs_of(json.loads(path.read_text()))
            # A run the chapter reads only as a curve keeps its record beside the results (train.records): with no
            # weights in the cache, that record is all the chapter needs, and a clone of the book has it.
            recorded = [k for k in keys if not archive.is_cached(k, args.root) and (kept / f"{k}.json").exists()]
            if not keys or recorded == keys:
                raise ValueError("it names no run keys (under train_seconds, run or runs) whose weights the chapter "
                                 f"needs beyond the records in {kept}: nothing to pack.")
            packed = archive.pack([k for k in keys if k not in recorded], args.out, args.root)
        except (ValueError, OSError) as error:  # a run not in the cache, no results file, a full disk: one sentence
            raise SystemExit(f"{path}: {error}") from None
        print(f"packed {_runs(len(keys) - len(recorded))} that {path.name} names "
              f"({packed.stat().st_size / 1e6:.1f} MB) into {packed}"
              + (f"; {len(recorded)} more are read from their records in {kept}" if recorded else ""))
        return

    if args.command == "import-runs":
        root = store.runs_root(args.root)
        try:
            held = archive.archive_keys(args.archive)
            imported = archive.unpack(args.archive, root)
        except (ValueError, OSError) as error:  # no such file, not an archive of runs, a full disk: one sentence
            raise SystemExit(f"import-runs: {error}") from None
        size = sum(archive.folder_bytes(root / key) for key in imported) / 1e6
        print(f"imported {len(imported)} of the {_runs(len(held))} in {args.archive} ({size:.1f} MB) into {root}"
              + (f"; {len(held) - len(imported)} were there already, or are being trained there" if held != imported
                 else ""))
        return

    if args.command == "time-chapters":
        notebooks = [Path(args.book) / f"{name}.ipynb" for name in book.book_chapters(args.book)]
        written = book.time_chapters([n for n in notebooks if n.exists()], args.profile, Path(args.book) / "results")
        print(f"wrote {written}")
        return

    if args.command == "book-parameters":
        print(yaml.safe_dump(book.book_parameters(args.notebook), default_flow_style=True).strip())
        return

    if not args.force and data.imported(args.name, args.root):
        print(f"{args.name} is already in {data.data_root(args.root) / args.name} (use --force to import again).")
        return
    for written in data.import_image_folder(args.path, args.name, args.root):
        print(f"wrote {written}")



def _assignments(pairs: list[str]) -> dict[str, Any]:
    """``["beta=4", "lr=1e-4", "aux=false"]`` to ``{"beta": 4, "lr": 0.0001, "aux": False}`` (values read as YAML,
    :func:`auxlib.checks.read_yaml`)."""
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise SystemExit(f"--set takes NAME=VALUE pairs, got {pair!r}.")
        try:
            out[name] = read_yaml(value)
        except yaml.YAMLError:
            raise SystemExit(f"--set {name} takes a YAML value, got {value!r}.") from None
    return out


def _runs(n: int) -> str:
    return f"{n} run{'' if n == 1 else 's'}"


def _results_file(chapter: str, folder: str | None) -> Path:
    """A chapter's results file: ``chapter`` itself when it is a ``.json`` file, else ``<chapter>.json`` in
    ``folder`` or the book's results folder (:func:`auxlib.results.results_dir`)."""
    given = Path(chapter)
    path = given if given.suffix == ".json" else Path(folder or results.results_dir()) / f"{chapter}.json"
    if not path.is_file():
        raise SystemExit(f"chapter must be a chapter whose results file exists, or a results .json file; {path} does "
                         "not exist (execute the chapter first, or give --results the folder it wrote to).")
    return path


def _read_configs(path: str) -> list[RunConfig]:
    """The run configs in a JSON file: one config dict, a list of them, or a run record with a "config" key."""
    try:
        content = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise SystemExit(f"--config must name a readable JSON file, got {path!r} ({error}).") from None
    items = content if isinstance(content, list) else [content]
    try:
        return [RunConfig.from_dict(item.get("config", item)) for item in items]
    except (AttributeError, KeyError, TypeError) as error:
        raise SystemExit(f"--config must name a JSON file with a run config, a list of them or a run.json; "
                         f"{path} is not one ({type(error).__name__}: {error}).") from None
    except ValueError as error:  # a value the config's checks refuse: their one sentence, with the file
        raise SystemExit(f"{path}: {error}") from None


if __name__ == "__main__":
    main()
