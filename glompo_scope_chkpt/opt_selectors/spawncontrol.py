"""Spawn controls: give one to a selector's ``allow_spawn`` to stop starting optimizers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._validation import require_count

if TYPE_CHECKING:
    from ..engine.spawning import RunView

__all__ = ["IterSpawnStop", "NOptimizersSpawnStop"]


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
        self.max_calls = require_count("IterSpawnStop max_calls", max_calls)

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
        self.max_opts = require_count("NOptimizersSpawnStop max_opts", max_opts)

    def __call__(self, view: RunView) -> bool:
        return view.o_counter < self.max_opts

    def __repr__(self) -> str:
        return f"NOptimizersSpawnStop({self.max_opts})"
