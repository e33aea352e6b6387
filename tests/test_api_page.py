"""The API page (book/api.md) documents every public module of auxlib, once, layer by layer in the README's order,
and the book lists it: a new module cannot be left out of the reference."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from auxlib import SUBMODULES

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "book" / "api.md"
#: The layers in the order of the README's table; a module outside the layer folders is in the base layer.
LAYERS = ("base", "model", "data", "analysis", "training", "book")
# `.. automodule:: auxlib.x` in an {eval-rst} block, or MyST's ```{automodule} auxlib.x
AUTOMODULE = re.compile(r"^\s*(?:\.\. automodule::|```\{automodule\})\s+(auxlib(?:\.\w+)*)\s*$", re.MULTILINE)


def documented() -> list[str]:
    return AUTOMODULE.findall(PAGE.read_text())


def layer(module: str) -> str:
    first = module.removeprefix("auxlib.").split(".")[0]
    return first if first in LAYERS else "base"


def test_every_public_module_is_on_the_api_page():
    public = {f"auxlib.{path}" for path in SUBMODULES.values()}
    missing = sorted(public - set(documented()))
    assert not missing, f"book/api.md has no automodule for {', '.join(missing)}: add each under its layer"


def test_the_api_page_documents_public_modules_once_each():
    public = {f"auxlib.{path}" for path in SUBMODULES.values()}
    pages = documented()
    assert not sorted(set(pages) - public), "book/api.md documents modules auxlib.SUBMODULES does not list"
    assert len(pages) == len(set(pages)), "book/api.md documents a module twice"


def test_the_api_page_follows_the_readme_layers():
    order = [LAYERS.index(layer(module)) for module in documented()]
    assert order == sorted(order), f"book/api.md leaves the layer order {', '.join(LAYERS)}"


def test_the_book_lists_the_api_page():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    assert "api" in [Path(entry["file"]).name for entry in toc.get("chapters", [])]
