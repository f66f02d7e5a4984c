"""``TargetCost``: end the run once a target function value is reached."""

from __future__ import annotations

from .._validation import require_non_negative, require_number
from .basechecker import BaseChecker, RunStatus

__all__ = ["TargetCost"]


class TargetCost(BaseChecker):
    """Ends the run once the best value found is within ``atol`` of ``target``, or below it.

    The run ends when ``best_fx - target < atol``. A best value below the target counts too (a
    run that overshoots a target set above the true minimum has done what was asked), and a best
    value exactly at the target ends the run whatever ``atol``.

    Parameters
    ----------
    target
        The function value sought.
    atol
        Absolute tolerance on the distance to ``target``.

    Raises
    ------
    InvalidSettingError
        If ``target`` is not a number or ``atol`` not a number >= 0 (an
        :class:`InvalidSettingTypeError` if either is not a number at all).
    """

    def __init__(self, target: float, atol: float = 1e-6) -> None:
        self.target = require_number("TargetCost", target)
        self.atol = require_non_negative("TargetCost atol", atol)

    def check(self, status: RunStatus) -> bool:
        return status.best_fx <= self.target or status.best_fx - self.target < self.atol

    def describe(self, status: RunStatus) -> str:
        return f"best {status.best_fx:.6g} against target {self.target:g}"

    def explain(self, status: RunStatus) -> str:
        best = f"{status.best_fx:.6g}"
        if status.best_fx <= self.target:
            return f"target cost reached ({best} <= {self.target:g})"
        return f"target cost reached ({best} within {self.atol:g} of {self.target:g})"

    def __repr__(self) -> str:
        atol = "" if self.atol == 1e-6 else f", atol={self.atol:g}"
        return f"TargetCost({self.target:g}{atol})"
