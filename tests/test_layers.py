"""The library's layers, as folders, import only downwards: checks and io, then model, data, analysis, training
and book; nothing outside auxlib/book/ imports it."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "auxlib"
LAYERS = ["", "model", "data", "analysis", "training", "book"]  # "": checks.py and io.py
ENTRY_POINTS = {"__init__.py", "__main__.py"}  # the short names and the command line sit above every layer


def layer_of(dotted: str) -> str:
    """The layer of a module by its dotted name inside auxlib ("model.config" -> "model", "checks" -> "")."""
    head = dotted.split(".")[0]
    return head if head in LAYERS else ""


def imports(path: Path) -> list[str]:
    """The auxlib modules a file imports, as dotted names inside auxlib, relative imports resolved."""
    here = path.relative_to(PACKAGE).with_suffix("").parts
    package = list(here[:-1]) if here[-1] != "__init__" else list(here[:-1])
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[:len(package) - node.level + 1]
            target = [*base, *(node.module.split(".") if node.module else [])]
            names = [target] if node.module else [[*target, a.name] for a in node.names]
            found += [".".join(n) for n in names]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("auxlib."):
            found.append(node.module.removeprefix("auxlib."))
        elif isinstance(node, ast.Import):
            found += [a.name.removeprefix("auxlib.") for a in node.names if a.name.startswith("auxlib.")]
    return found


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if p.relative_to(PACKAGE).as_posix() not in ENTRY_POINTS)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_each_module_imports_only_its_own_layer_or_those_below(path):
    own = LAYERS.index(layer_of(".".join(path.relative_to(PACKAGE).with_suffix("").parts)))
    above = [t for t in imports(path) if LAYERS.index(layer_of(t)) > own]
    assert not above, f"{path.relative_to(PACKAGE)} imports {above}, from a layer above its own"


def test_the_check_sees_relative_imports_and_every_layer_is_a_folder():
    assert "book.profiles" in imports(PACKAGE / "book" / "placement.py")
    assert "model.config" in imports(PACKAGE / "data" / "__init__.py")
    assert {p.parent.name for p in MODULES} >= set(LAYERS[1:])
    assert {p.name for p in PACKAGE.glob("*.py")} == {"__init__.py", "__main__.py", "checks.py", "io.py"}
