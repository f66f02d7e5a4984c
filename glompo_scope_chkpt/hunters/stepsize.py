"""``StepSize``: stop an optimizer that only takes small steps."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .._validation import require_count, require_positive
from .basehunter import BaseHunter
from .parameterdistance import space_diagonal
from .view import Hunt

__all__ = ["StepSize"]


class StepSize(BaseHunter):
    """Holds when the victim's steps between its last ``calls`` points are small on average.

    With ``max_distance`` the diagonal of the bounds, the condition holds when the mean distance
    between consecutive points among the victim's last ``calls`` is at most
    ``relative_tol * max_distance``: the optimizer is focused on a small region. It never holds
    before the victim has ``calls`` points.

    Parameters
    ----------
    bounds
        ``(min, max)`` of each parameter.
    calls
        How many of its last points the steps are averaged over (>= 2: one step).
    relative_tol
        The fraction of ``max_distance`` below which the mean step counts as small.

    Raises
    ------
    InvalidSettingError
        If ``bounds`` are invalid, ``calls`` is not an integer >= 2 or ``relative_tol`` not a
        number > 0 (an :class:`InvalidSettingTypeError` for a wrong type).
    """

    def __init__(
        self,
        bounds: Sequence[tuple[float, float]],
        calls: int,
        relative_tol: float = 0.05,
    ) -> None:
        self.calls = require_count("StepSize calls", calls, minimum=2)
        self.relative_tol = require_positive("StepSize relative_tol", relative_tol)
        self.max_distance = space_diagonal(bounds)
        self.n_params = len(bounds)
        self.points_needed = self.calls

    def _mean_step(self, hunt: Hunt) -> float | None:
        points = hunt.victim.recent_x[-self.calls :]
        if len(points) < self.calls:
            return None
        return float(np.linalg.norm(np.diff(points, axis=0), axis=1).mean())

    def check(self, hunt: Hunt) -> bool:
        step = self._mean_step(hunt)
        return step is not None and step <= self.relative_tol * self.max_distance

    def describe(self, hunt: Hunt) -> str:
        step = self._mean_step(hunt)
        return (
            f"its mean step over its last {self.calls} points is {step:.3g} "
            f"(<= {self.relative_tol:g} x {self.max_distance:.3g})"
        )

    def __repr__(self) -> str:
        return (
            f"StepSize(<{self.n_params} bounds>, calls={self.calls}, "
            f"relative_tol={self.relative_tol:g})"
        )
