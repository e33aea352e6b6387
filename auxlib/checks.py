"""Checks of what users type: each failure is one ``ValueError`` sentence that names the parameter, says what is
allowed and shows the value given (``"beta must be a number >= 0, got 'oops'."``). The config dataclasses, the
profiles and the chapters' first cells all check with these, so every message has the same shape.
"""

from __future__ import annotations

import numbers
import re
from typing import Any

import numpy as np
import yaml

#: A number as users write it, e.g. ``3``, ``-0.5``, ``.5``, ``1e-4``, ``2.5E+3`` (no ``inf`` or ``nan``).
NUMBER_TEXT = re.compile(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?")


class _Loader(yaml.SafeLoader):
    """PyYAML follows YAML 1.1, which reads ``1e-4`` (an exponent without a dot) as text; YAML 1.2 and Python read
    it as a number, and so do users."""


_Loader.add_implicit_resolver("tag:yaml.org,2002:float", re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+$"),
                              list("-+0123456789."))


def read_yaml(text: str) -> Any:
    """``text`` read as YAML, numbers with an exponent included (``"1e-4"`` is 0.0001). Raises yaml.YAMLError."""
    return yaml.load(text, Loader=_Loader)


def as_number(value: Any) -> Any:
    """A number that reached a parameter as text (``"1e-4"``: papermill's ``-y`` and PyYAML read YAML 1.1, where
    an exponent without a dot is text) as the number it spells, an int when it has no dot or exponent; anything
    else is returned as it is, to be checked."""
    if isinstance(value, str) and NUMBER_TEXT.fullmatch(value.strip()):
        text = value.strip()
        return int(text) if text.lstrip("+-").isdigit() else float(text)
    return value


def require(ok: bool, name: str, allowed: str, value: Any) -> None:
    """Raise ``ValueError("<name> must be <allowed>, got <value!r>.")`` unless ``ok``."""
    if not ok:
        raise ValueError(f"{name} must be {allowed}, got {value!r}.")


def one_of(name: str, value: Any, allowed: Any, optional: bool = False) -> None:
    """Raise a ValueError naming ``name`` unless ``value`` is one of the strings ``allowed`` (or None, when
    ``optional``)."""
    if optional and value is None:
        return
    require(isinstance(value, str) and value in allowed, name,
            f"{'None or ' if optional else ''}one of {', '.join(allowed)}", value)


def is_int(value: Any) -> bool:
    """Whether ``value`` is a whole number type (Python or NumPy), booleans excluded."""
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def is_number(value: Any) -> bool:
    """Whether ``value`` is a real number type (Python or NumPy), booleans excluded."""
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def positive_int(name: str, value: Any) -> None:
    """Raise a ValueError naming ``name`` unless ``value`` is an integer > 0."""
    require(is_int(value) and value > 0, name, "a positive integer", value)


def as_list(value: Any) -> Any:
    """A list parameter as a user means it: papermill's ``-p betas "[1, 4]"`` delivers a string, read here as YAML,
    and ``-p betas 4`` a single number, read as a list of one; items that are numbers as text become numbers
    (:func:`as_number`); anything else is returned as it is, to be checked."""
    if isinstance(value, str):
        try:
            value = read_yaml(value)
        except yaml.YAMLError:
            return value
    value = as_number(value)
    if isinstance(value, (list, tuple)):
        return [as_number(v) for v in value]
    return [value] if is_number(value) else value
