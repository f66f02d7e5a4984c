"""``MaxFuncCalls``: end the run after a number of function evaluations."""

from __future__ import annotations

from .basechecker import BaseChecker, RunStatus, _positive

__all__ = ["MaxFuncCalls"]


class MaxFuncCalls(BaseChecker):
    """Ends the run once ``max_calls`` function evaluations were done (over all sessions)."""

    def __init__(self, max_calls: int) -> None:
        self.max_calls = int(_positive("MaxFuncCalls", max_calls))

    def check(self, status: RunStatus) -> bool:
        return status.f_counter >= self.max_calls

    def describe(self, status: RunStatus) -> str:
        return f"{status.f_counter} of {self.max_calls} function evaluations"

    def explain(self, status: RunStatus) -> str:
        return f"function evaluation budget reached ({status.f_counter} >= {self.max_calls})"

    def __repr__(self) -> str:
        return f"MaxFuncCalls({self.max_calls})"
