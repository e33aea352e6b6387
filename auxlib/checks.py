"""Checks of what users type: each failure is one ``ValueError`` sentence that names the parameter, says what is
allowed and shows the value given (``"beta must be a number >= 0, got 'oops'."``). The config dataclasses, the
profiles and the chapters' first cells all check with these, so every message has the same shape.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
import yaml


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
    and ``-p betas 4`` a single number, read as a list of one; anything else is returned as it is, to be checked."""
    if isinstance(value, str):
        try:
            value = yaml.safe_load(value)
        except yaml.YAMLError:
            return value
    return [value] if is_number(value) else value
