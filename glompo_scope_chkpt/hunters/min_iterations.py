"""``MinIterations``: a victim must have done a number of iterations."""

from __future__ import annotations

from .min_fcalls import _AtLeast
from .view import OptimizerView

__all__ = ["MinIterations"]


class MinIterations(_AtLeast):
    """Holds when the victim has done at least ``min_pts`` iterations.

    What an iteration is depends on the optimizer (see :attr:`OptimizerView.iterations`): a
    generation of a population method spans many evaluations. Use it with care when several
    kinds of optimizer run; :class:`MinFuncCalls` counts the same way for all.

    Parameters
    ----------
    min_pts
        Iterations the victim must have done.

    Raises
    ------
    InvalidSettingError
        If ``min_pts`` is not an integer >= 1 (an :class:`InvalidSettingTypeError` if not an
        integer).
    """

    unit = "iterations"

    def count(self, victim: OptimizerView) -> int:
        return victim.iterations
