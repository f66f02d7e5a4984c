"""Spawn controls: give one to a selector's ``allow_spawn`` to stop starting optimizers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import InvalidSettingError, InvalidSettingTypeError

if TYPE_CHECKING:
    from ..core.spawning import RunView

__all__ = ["IterSpawnStop", "NOptimizersSpawnStop"]


def _count(owner: str, name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise InvalidSettingTypeError(f"{owner}: {name} must be an integer, got {value!r}.")
    if value < 1:
        raise InvalidSettingError(f"{owner}: {name} must be >= 1, got {value}.")
    return int(value)


class IterSpawnStop:
    """Allows new optimizers only while fewer than ``max_calls`` function evaluations were done.

    Parameters
    ----------
    max_calls
        Evaluations from which no optimizer starts.

    Raises
    ------
    InvalidSettingTypeError
        If ``max_calls`` is not an integer.
    InvalidSettingError
        If it is below 1.
    """

    def __init__(self, max_calls: int) -> None:
        self.max_calls = _count("IterSpawnStop", "max_calls", max_calls)

    def __call__(self, view: RunView) -> bool:
        return view.f_counter < self.max_calls

    def __repr__(self) -> str:
        return f"IterSpawnStop({self.max_calls})"


class NOptimizersSpawnStop:
    """Allows new optimizers only while fewer than ``max_opts`` were started.

    Parameters
    ----------
    max_opts
        Number of optimizers after which no other starts.

    Raises
    ------
    InvalidSettingTypeError
        If ``max_opts`` is not an integer.
    InvalidSettingError
        If it is below 1.
    """

    def __init__(self, max_opts: int) -> None:
        self.max_opts = _count("NOptimizersSpawnStop", "max_opts", max_opts)

    def __call__(self, view: RunView) -> bool:
        return view.o_counter < self.max_opts

    def __repr__(self) -> str:
        return f"NOptimizersSpawnStop({self.max_opts})"
