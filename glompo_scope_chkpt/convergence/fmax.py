"""``MaxFuncCalls``: end the run after a number of function evaluations."""

from __future__ import annotations

from .._validation import require_positive
from .basechecker import BaseChecker, RunStatus

__all__ = ["MaxFuncCalls"]


class MaxFuncCalls(BaseChecker):
    """Ends the run once ``fmax`` function evaluations were done (over all sessions).

    Parameters
    ----------
    fmax
        The evaluation budget.

    Raises
    ------
    InvalidSettingError
        If ``fmax`` is not a number > 0 (an :class:`InvalidSettingTypeError` if not a number).
    """

    def __init__(self, fmax: int) -> None:
        self.fmax = int(require_positive("MaxFuncCalls", fmax))

    def check(self, status: RunStatus) -> bool:
        return status.f_counter >= self.fmax

    def describe(self, status: RunStatus) -> str:
        return f"{status.f_counter} of {self.fmax} function evaluations"

    def explain(self, status: RunStatus) -> str:
        return f"function evaluation budget reached ({status.f_counter} >= {self.fmax})"

    def __repr__(self) -> str:
        return f"MaxFuncCalls({self.fmax})"
