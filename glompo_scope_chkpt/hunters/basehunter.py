"""The base of every killing condition, and ``|`` / ``&`` to combine them."""

from __future__ import annotations

from abc import ABC, abstractmethod

from ..errors import InvalidSettingTypeError
from .view import Hunt

__all__ = ["BaseHunter"]


class BaseHunter(ABC):
    """A condition under which a running optimizer (the victim) is stopped.

    Every ``hunt_frequency`` evaluations the manager compares each running optimizer with the
    one that found the run's best value (the hunter) and stops those for which the condition
    holds. ``a | b`` holds when either holds, ``a & b`` when both; combinations are judged
    lazily (``b`` is not looked at when ``a`` decides), so a probabilistic condition placed last
    draws only when the others hold. ``str()`` reads as the code that built the condition.

    Subclasses implement :meth:`check`, and :meth:`describe` to say why it held.

    Attributes
    ----------
    points_needed : int
        How many of each optimizer's last points (:attr:`OptimizerView.recent_x`) the condition
        reads; the manager keeps that many per running optimizer and no more.
    """

    points_needed: int = 0

    @abstractmethod
    def check(self, hunt: Hunt) -> bool:
        """Return ``True`` if ``hunt.victim`` should be stopped."""

    def describe(self, hunt: Hunt) -> str:
        """Why the condition held for ``hunt`` (called only after :meth:`check` said so)."""
        return str(self)

    def verdict(self, hunt: Hunt) -> str | None:
        """The reason to stop ``hunt.victim``, or ``None`` to let it run."""
        return self.describe(hunt) if self.check(hunt) else None

    def __call__(self, hunt: Hunt) -> bool:
        """Whether ``hunt.victim`` should be stopped (as GloMPO's hunters are called)."""
        return self.verdict(hunt) is not None

    def __or__(self, other: BaseHunter) -> BaseHunter:
        return _AnyOf(self, other)

    def __and__(self, other: BaseHunter) -> BaseHunter:
        return _AllOf(self, other)


class _Combined(BaseHunter):
    symbol = ""

    def __init__(self, left: BaseHunter, right: BaseHunter) -> None:
        for part in (left, right):
            if not isinstance(part, BaseHunter):
                raise InvalidSettingTypeError(
                    f"Hunters combine only with each other, not {part!r}."
                )
        self.left, self.right = left, right
        self.points_needed = max(left.points_needed, right.points_needed)

    def check(self, hunt: Hunt) -> bool:
        return self.verdict(hunt) is not None

    def __repr__(self) -> str:
        return f"({self.left!r} {self.symbol} {self.right!r})"


class _AnyOf(_Combined):
    symbol = "|"

    def verdict(self, hunt: Hunt) -> str | None:
        first = self.left.verdict(hunt)
        return first if first is not None else self.right.verdict(hunt)


class _AllOf(_Combined):
    symbol = "&"

    def verdict(self, hunt: Hunt) -> str | None:
        first = self.left.verdict(hunt)
        if first is None:
            return None
        second = self.right.verdict(hunt)
        return None if second is None else f"{first} and {second}"
