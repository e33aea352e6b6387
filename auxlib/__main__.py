"""Command line.

``python -m auxlib import-data PATH --name NAME [--root DIR] [--force]`` converts an ImageFolder copy of a data
set (``PATH/<split>/<class>/*.jpg``), or a ``.tar.gz`` of one, into auxlib's data cache, for machines where
torchvision cannot download it.

``python -m auxlib book-parameters NOTEBOOK`` prints, as YAML, the parameters the committed book executes a
chapter with (``book/parameters.yml``), for ``papermill -y``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import yaml

from . import data, results
from .config import DATASETS, PROFILE_NAMES, book_chapters, book_parameters


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
    timing = sub.add_parser("time-chapters", help="time every chapter on an empty run cache at a profile")
    timing.add_argument("--profile", default="quick", choices=PROFILE_NAMES)
    timing.add_argument("--book", default="book", help="the book's source folder (default: book)")
    args = parser.parse_args(argv)

    if args.command == "time-chapters":
        notebooks = [Path(args.book) / f"{name}.ipynb" for name in book_chapters(args.book)]
        written = results.time_chapters([n for n in notebooks if n.exists()], args.profile, Path(args.book) / "results")
        print(f"wrote {written}")
        return

    if args.command == "book-parameters":
        print(yaml.safe_dump(book_parameters(args.notebook), default_flow_style=True).strip())
        return

    existing = [data.cache_path(args.name, s, args.root) for s in data.SPLITS[args.name]]
    if not args.force and any(p.exists() for p in existing):
        print(f"{args.name} is already in {data.data_root(args.root) / args.name} (use --force to import again).")
        return
    for written in data.import_image_folder(args.path, args.name, args.root):
        print(f"wrote {written}")


if __name__ == "__main__":
    main()
