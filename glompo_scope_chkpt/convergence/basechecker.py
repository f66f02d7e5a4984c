"""The base of every convergence criterion, the run figures it reads, and ``|`` / ``&``."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from .._validation import require_count
from ..errors import InvalidSettingTypeError

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
    kills_at_convergence
        For each optimizer that converged, in the order they did, how many optimizers had been
        killed by then (so ``n_killed - kills_at_convergence[0]`` were killed after the first
        convergence).
    """

    f_counter: int
    elapsed: float
    session_elapsed: float
    best_fx: float
    n_started: int
    n_converged: int
    n_killed: int
    kills_at_convergence: tuple[int, ...] = ()

    def kills_after_convergence(self, n_converged: int) -> int | None:
        """Optimizers killed since the ``n_converged``-th convergence, or ``None`` before it.

        ``n_converged=0`` counts every kill of the run.
        """
        if n_converged == 0:
            return self.n_killed
        if len(self.kills_at_convergence) < n_converged:
            return None
        return self.n_killed - self.kills_at_convergence[n_converged - 1]


class BaseChecker(ABC):
    """A condition on :class:`RunStatus`; ``a | b`` ends when either holds, ``a & b`` when both.

    Combinations are judged lazily: ``a | b`` does not look at ``b`` when ``a`` holds, ``a & b``
    not when ``a`` does not. ``str()`` of a condition reads as the code that built it.
    """

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
                raise InvalidSettingTypeError(
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


class _CountReached(BaseChecker):
    """Ends the run once the count :attr:`figure` of :class:`RunStatus` reaches ``limit``."""

    figure = ""
    noun = ""

    def __init__(self, limit: int) -> None:
        self.limit = require_count(type(self).__name__, limit)

    def _count(self, status: RunStatus) -> int:
        count: int = getattr(status, self.figure)
        return count

    def check(self, status: RunStatus) -> bool:
        return self._count(status) >= self.limit

    def describe(self, status: RunStatus) -> str:
        return f"{self._count(status)} of {self.limit} {self.noun}"

    def explain(self, status: RunStatus) -> str:
        return f"{self._count(status)} {self.noun} (>= {self.limit})"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.limit})"
