"""``BestUnmoving``: stop an optimizer whose best value no longer improves."""

from __future__ import annotations

from .._validation import require_count, require_non_negative
from .basehunter import BaseHunter
from .view import Hunt

__all__ = ["BestUnmoving"]


class BestUnmoving(BaseHunter):
    """Holds when the victim's best value barely changed over its last ``calls`` values.

    With ``best_then`` the lowest value the victim had found ``calls`` values ago and
    ``best_now`` the lowest it has found, the condition holds when::

        abs(best_now - best_then) <= abs(best_then * tol)

    It never holds before the victim has more than ``calls`` values in its trajectory (failed
    and ``nan`` evaluations are not values).

    Parameters
    ----------
    calls
        How many of its last values the improvement is measured over.
    tol
        The improvement, as a fraction of ``best_then``, below which it counts as none.

    Raises
    ------
    InvalidSettingError
        If ``calls`` is not an integer >= 1 or ``tol`` not a number >= 0 (an
        :class:`InvalidSettingTypeError` for a wrong type).
    """

    def __init__(self, calls: int, tol: float = 0) -> None:
        name = type(self).__name__
        self.calls = require_count(f"{name} calls", calls)
        self.tol = require_non_negative(f"{name} tol", tol)

    def _bests(self, hunt: Hunt) -> tuple[float, float] | None:
        fx = hunt.victim.fx
        if len(fx) <= self.calls:
            return None
        return float(fx[: -self.calls].min()), float(fx.min())

    def check(self, hunt: Hunt) -> bool:
        bests = self._bests(hunt)
        if bests is None:
            return False
        then, now = bests
        return abs(now - then) <= abs(then * self.tol)

    def describe(self, hunt: Hunt) -> str:
        then, now = self._bests(hunt) or (hunt.victim.best_fx, hunt.victim.best_fx)
        return (
            f"its best moved from {then:.6g} to {now:.6g} in its last {self.calls} values "
            f"(tolerance {self.tol:g})"
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(calls={self.calls}, tol={self.tol:g})"
