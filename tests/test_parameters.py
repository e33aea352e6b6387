"""Every parameter of every chapter, given a value of the wrong kind, stops the chapter's first code cell with one
sentence that names it; list parameters given as papermill's `-p` delivers them (a string, or a single number)
are read as the list they mean.

The first code cell of a chapter checks every parameter before any work, so executing the parameters cell and that
cell is enough to see what a user's value does.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from auxlib.book import book_chapters

ROOT = Path(__file__).resolve().parents[1]
# The values the checks run with, on top of a parameter's wrong value: the quick profile, a data set that needs
# no download, the committed results for the results page.
BASE = {"profile": "quick", "dataset": "synth-svhn", "results_dir": str(ROOT / "book" / "results")}


def cells(notebook: str) -> tuple[str, str]:
    """The parameters cell and the first code cell after it, as source."""
    code = [c for c in json.loads((ROOT / notebook).read_text())["cells"] if c["cell_type"] == "code"]
    index = next(i for i, c in enumerate(code) if "parameters" in c["metadata"].get("tags", []))
    rest = [c for c in code[index + 1:] if "injected-parameters" not in c["metadata"].get("tags", [])]
    return "".join(code[index]["source"]), "".join(rest[0]["source"])


def parameters(notebook: str) -> dict[str, object]:
    """The parameters of a chapter with their defaults, as the parameters cell assigns them."""
    source, _ = cells(notebook)
    namespace: dict[str, object] = {}
    exec(source, namespace)
    names = {t.id for node in ast.parse(source).body if isinstance(node, ast.Assign) for t in node.targets}
    return {name: namespace[name] for name in names}


def check(notebook: str, **values) -> dict[str, object]:
    """Execute the chapter's parameters cell with ``values`` (and :data:`BASE`) and its first code cell."""
    source, first = cells(notebook)
    namespace: dict[str, object] = {}
    exec(source, namespace)
    namespace.update({k: v for k, v in BASE.items() if k in namespace}, **values)
    exec(first, namespace)
    return namespace


def chapter_parameters() -> list[tuple[str, str]]:
    notebooks = [f"book/{name}.ipynb" for name in book_chapters(ROOT) if (ROOT / "book" / f"{name}.ipynb").exists()]
    return [(nb, name) for nb in notebooks for name in sorted(parameters(nb))]


def is_list_parameter(notebook: str, name: str, namespace: dict[str, object]) -> bool:
    settings = namespace.get("settings")
    return isinstance(parameters(notebook)[name], list) or (isinstance(settings, dict)
                                                            and isinstance(settings.get(name), list))


@pytest.mark.parametrize(("notebook", "name"), chapter_parameters())
def test_a_value_of_the_wrong_kind_stops_with_one_sentence_naming_the_parameter(notebook, name):
    defaults = check(notebook)  # the chapter's own values pass
    wrong = ["oops"] if is_list_parameter(notebook, name, defaults) else ["oops", [1, 2]]
    for value in wrong:
        with pytest.raises(ValueError, match=rf"^{name} must be .+, got .+\.$"):
            check(notebook, **{name: value})


@pytest.mark.parametrize(("notebook", "name"), [(nb, name) for nb, name in chapter_parameters()
                                                if is_list_parameter(nb, name, check(nb))])
def test_a_list_parameter_given_as_a_string_or_a_single_number_means_that_list(notebook, name):
    listed = check(notebook)["settings"][name] or [1]
    assert check(notebook, **{name: str(listed)})["settings"][name] == listed
    assert check(notebook, **{name: listed[0]})["settings"][name] == [listed[0]]
