"""Conditions that end the whole optimization; combine them with ``|`` and ``&``."""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass

from .errors import InvalidSettingError

__all__ = [
    "RunStatus",
    "BaseChecker",
    "MaxFuncCalls",
    "MaxSeconds",
    "TargetCost",
]


@dataclass(frozen=True)
class RunStatus:
    """What a convergence checker may look at.

    Attributes
    ----------
    f_counter
        Function evaluations done over all sessions.
    elapsed
        Seconds of optimization over all sessions.
    session_elapsed
        Seconds since this session started.
    best_fx
        Lowest function value found so far.
    n_started, n_converged, n_killed
        Optimizers started, converged on their own, and stopped by a hunter or the user.
    """

    f_counter: int
    elapsed: float
    session_elapsed: float
    best_fx: float
    n_started: int
    n_converged: int
    n_killed: int


class BaseChecker(ABC):
    """A condition on :class:`RunStatus`; ``a | b`` ends when either holds, ``a & b`` when both."""

    @abstractmethod
    def check(self, status: RunStatus) -> bool:
        """Return ``True`` if the optimization must end."""

    @abstractmethod
    def describe(self, status: RunStatus) -> str:
        """A sentence on this condition's state, e.g. why the run ended."""

    def explain(self, status: RunStatus) -> str:
        """Describe the parts of this condition that hold (why the run ended)."""
        return self.describe(status)

    def __or__(self, other: BaseChecker) -> BaseChecker:
        return _AnyOf(self, other)

    def __and__(self, other: BaseChecker) -> BaseChecker:
        return _AllOf(self, other)


class _Combined(BaseChecker):
    joiner = ""

    def __init__(self, left: BaseChecker, right: BaseChecker) -> None:
        for part in (left, right):
            if not isinstance(part, BaseChecker):
                raise InvalidSettingError(
                    f"Convergence conditions combine only with each other, not {part!r}."
                )
        self.left, self.right = left, right

    def describe(self, status: RunStatus) -> str:
        return f"({self.left.describe(status)} {self.joiner} {self.right.describe(status)})"

    def __repr__(self) -> str:
        return f"({self.left!r} {'|' if self.joiner == 'or' else '&'} {self.right!r})"


class _AnyOf(_Combined):
    joiner = "or"

    def check(self, status: RunStatus) -> bool:
        return self.left.check(status) or self.right.check(status)

    def explain(self, status: RunStatus) -> str:
        held = [part.explain(status) for part in (self.left, self.right) if part.check(status)]
        return " and ".join(held) if held else self.describe(status)


class _AllOf(_Combined):
    joiner = "and"

    def check(self, status: RunStatus) -> bool:
        return self.left.check(status) and self.right.check(status)

    def explain(self, status: RunStatus) -> str:
        return f"{self.left.explain(status)} and {self.right.explain(status)}"


def _positive(name: str, value: float) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or math.isnan(value)
        or value <= 0
    ):
        raise InvalidSettingError(f"{name} needs a number > 0, got {value!r}.")
    return value


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


class MaxSeconds(BaseChecker):
    """Ends the run after ``seconds`` of optimization.

    Parameters
    ----------
    seconds
        The limit.
    session
        Count only the current session (a wall-time limit per job) instead of all sessions.
    """

    def __init__(self, seconds: float, session: bool = False) -> None:
        self.seconds = float(_positive("MaxSeconds", seconds))
        self.session = bool(session)

    def _used(self, status: RunStatus) -> float:
        return status.session_elapsed if self.session else status.elapsed

    def check(self, status: RunStatus) -> bool:
        return self._used(status) >= self.seconds

    def describe(self, status: RunStatus) -> str:
        scope = "this session's" if self.session else "the run's"
        return f"{self._used(status):.1f} s of {scope} {self.seconds:g} s"

    def explain(self, status: RunStatus) -> str:
        scope = "session" if self.session else "run"
        return f"{scope} time limit reached ({self._used(status):.1f} s >= {self.seconds:g} s)"

    def __repr__(self) -> str:
        return f"MaxSeconds({self.seconds:g}{', session=True' if self.session else ''})"


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
