"""``EvaluationsUnmoving``: stop an optimizer whose values no longer vary."""

from __future__ import annotations

import numpy as np

from .._validation import require_count, require_non_negative
from .basehunter import BaseHunter
from .view import Hunt

__all__ = ["EvaluationsUnmoving"]


class EvaluationsUnmoving(BaseHunter):
    """Holds when the victim's last ``calls`` values hardly differ from each other.

    The condition holds when the standard deviation of the victim's last ``calls`` values is at
    most ``tol * abs(last value)``; infinite values among them are left out. Such a victim is
    usually about to converge; combine with :class:`StepSize` so that an optimizer exploring a
    flat region widely is not stopped.

    Parameters
    ----------
    calls
        How many of its last values are compared.
    tol
        The spread, as a fraction of its last value, below which the values count as unmoving.

    Raises
    ------
    InvalidSettingError
        If ``calls`` is not an integer >= 1 or ``tol`` not a number >= 0 (an
        :class:`InvalidSettingTypeError` for a wrong type).
    """

    def __init__(self, calls: int, tol: float = 0) -> None:
        self.calls = require_count("EvaluationsUnmoving calls", calls)
        self.tol = require_non_negative("EvaluationsUnmoving tol", tol)

    def _spread(self, hunt: Hunt) -> tuple[float, float] | None:
        fx = hunt.victim.fx
        if len(fx) < self.calls:
            return None
        last = fx[-self.calls :]
        last = last[np.isfinite(last)]
        if not len(last):
            return None
        return float(np.std(last)), float(last[-1])

    def check(self, hunt: Hunt) -> bool:
        spread = self._spread(hunt)
        return spread is not None and spread[0] <= abs(spread[1] * self.tol)

    def describe(self, hunt: Hunt) -> str:
        std, last = self._spread(hunt) or (0.0, hunt.victim.best_fx)
        return (
            f"its last {self.calls} values spread by {std:.3g} around {last:.6g} "
            f"(tolerance {self.tol:g})"
        )

    def __repr__(self) -> str:
        return f"EvaluationsUnmoving(calls={self.calls}, tol={self.tol:g})"
