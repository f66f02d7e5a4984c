"""The base of every convergence criterion, the run figures it reads, and ``|`` / ``&``."""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass

from ..errors import InvalidSettingError

__all__ = ["RunStatus", "BaseChecker"]


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
