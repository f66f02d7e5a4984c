"""``MinFuncCalls``: a victim must have done a number of evaluations."""

from __future__ import annotations

from abc import abstractmethod

from .._validation import require_count
from .basehunter import BaseHunter
from .view import Hunt, OptimizerView

__all__ = ["MinFuncCalls"]


class _AtLeast(BaseHunter):
    """Holds when a count of the victim (:meth:`count`, in :attr:`unit`) reaches ``min_pts``."""

    unit = ""

    def __init__(self, min_pts: int) -> None:
        self.min_pts = require_count(f"{type(self).__name__} min_pts", min_pts)

    @abstractmethod
    def count(self, victim: OptimizerView) -> int:
        """The victim's count."""

    def check(self, hunt: Hunt) -> bool:
        return self.count(hunt.victim) >= self.min_pts

    def describe(self, hunt: Hunt) -> str:
        return f"it did {self.count(hunt.victim)} {self.unit} (>= {self.min_pts})"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(min_pts={self.min_pts})"


class MinFuncCalls(_AtLeast):
    """Holds when the victim has done at least ``min_pts`` evaluations.

    Combine it with ``&`` to give every optimizer a minimum run before other conditions judge it.

    Parameters
    ----------
    min_pts
        Evaluations the victim must have done.

    Raises
    ------
    InvalidSettingError
        If ``min_pts`` is not an integer >= 1 (an :class:`InvalidSettingTypeError` if not an
        integer).
    """

    unit = "evaluations"

    def count(self, victim: OptimizerView) -> int:
        return victim.n_evals
