"""Checks of the numbers given to conditions: the right type, then the right range.

A value of the wrong type raises :class:`~glompo_scope_chkpt.errors.InvalidSettingTypeError`
(also a ``TypeError``); a number out of range raises
:class:`~glompo_scope_chkpt.errors.InvalidSettingError` (also a ``ValueError``).
"""

from __future__ import annotations

import math
import numbers
import os
import sys
from typing import Any

from .errors import InvalidSettingError, InvalidSettingTypeError

__all__ = [
    "require_number",
    "require_positive",
    "require_count",
    "require_non_negative",
    "outside_stacklevel",
]

_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


def require_number(owner: str, value: Any, requirement: str = "a number") -> float:
    """Return ``value`` as a float if it is a real number (not a bool, not nan).

    Raises
    ------
    InvalidSettingTypeError
        If ``value`` is not a real number.
    InvalidSettingError
        If it is nan.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidSettingTypeError(f"{owner} needs {requirement}, got {value!r}.")
    if math.isnan(value):
        raise InvalidSettingError(f"{owner} needs {requirement}, got {value!r}.")
    return float(value)


def require_positive(owner: str, value: Any) -> float:
    """Return ``value`` as a float if it is a number > 0.

    Raises
    ------
    InvalidSettingTypeError
        If ``value`` is not a real number.
    InvalidSettingError
        If it is nan or not > 0.
    """
    return _above_zero(owner, value, strictly=True)


def require_non_negative(owner: str, value: Any) -> float:
    """Return ``value`` as a float if it is a number >= 0.

    Raises
    ------
    InvalidSettingTypeError
        If ``value`` is not a real number.
    InvalidSettingError
        If it is nan or negative.
    """
    return _above_zero(owner, value, strictly=False)


def _above_zero(owner: str, value: Any, strictly: bool) -> float:
    requirement = "a number > 0" if strictly else "a number >= 0"
    number = require_number(owner, value, requirement)
    if number < 0 or (strictly and number == 0):
        raise InvalidSettingError(f"{owner} needs {requirement}, got {value!r}.")
    return number


def require_count(owner: str, value: Any, minimum: int = 1) -> int:
    """Return ``value`` as an int if it is an integer >= ``minimum``.

    Raises
    ------
    InvalidSettingTypeError
        If ``value`` is not an integer (a bool or a float is not one).
    InvalidSettingError
        If it is below ``minimum``.
    """
    requirement = f"an integer >= {minimum}"
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InvalidSettingTypeError(f"{owner} needs {requirement}, got {value!r}.")
    if value < minimum:
        raise InvalidSettingError(f"{owner} needs {requirement}, got {value!r}.")
    return int(value)


def outside_stacklevel() -> int:
    """The ``stacklevel`` for a ``warnings.warn`` made by the caller that names the user's line.

    It counts the frames of this package above the caller, so the warning points at the first
    line outside the package (the script's ``new_manager(...)`` call, say) however deep inside
    the package the warning is made.
    """
    frame, level = sys._getframe(1), 1
    while frame.f_back is not None and os.path.abspath(frame.f_code.co_filename).startswith(
        _PACKAGE
    ):
        frame, level = frame.f_back, level + 1
    return level
