"""``TargetCost``: end the run once a target function value is reached."""

from __future__ import annotations

import math

from ..errors import InvalidSettingError
from .basechecker import BaseChecker, RunStatus

__all__ = ["TargetCost"]


class TargetCost(BaseChecker):
    """Ends the run once a function value ``<= target`` was found."""

    def __init__(self, target: float) -> None:
        if isinstance(target, bool) or not isinstance(target, (int, float)) or math.isnan(target):
            raise InvalidSettingError(f"TargetCost needs a number, got {target!r}.")
        self.target = float(target)

    def check(self, status: RunStatus) -> bool:
        return status.best_fx <= self.target

    def describe(self, status: RunStatus) -> str:
        return f"best {status.best_fx:.6g} against target {self.target:g}"

    def explain(self, status: RunStatus) -> str:
        return f"target cost reached ({status.best_fx:.6g} <= {self.target:g})"

    def __repr__(self) -> str:
        return f"TargetCost({self.target:g})"
