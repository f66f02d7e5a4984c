"""``ParameterDistance``: stop an optimizer that works too close to the best one."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .._validation import require_positive
from .basehunter import BaseHunter
from .view import Hunt, OptimizerView

__all__ = ["ParameterDistance", "space_diagonal"]


def space_diagonal(bounds: Sequence[tuple[float, float]]) -> float:
    """The Euclidean distance from the corner of all lower bounds to that of all upper bounds.

    Raises
    ------
    InvalidSettingError
        If ``bounds`` are not valid ``(min, max)`` pairs.
    """
    from ..core.settings import validate_bounds  # the settings import the hunters

    array = validate_bounds(bounds)
    return float(np.linalg.norm(array[:, 1] - array[:, 0]))


class ParameterDistance(BaseHunter):
    """Holds when the victim's last point is close to the hunter's last point.

    With ``max_distance`` the diagonal of the bounds (:func:`space_diagonal`), the condition
    holds when::

        distance(last point of the victim, last point of the hunter)
            <= relative_distance * max_distance

    Use it only when the parameters are scaled alike (dimensionless, of one order of magnitude):
    the distance mixes them all.

    Parameters
    ----------
    bounds
        ``(min, max)`` of each parameter.
    relative_distance
        The fraction of ``max_distance`` below which two optimizers are too close.
    test_all
        Compare the victim with every other optimizer of the run (its last point; ended
        optimizers included), not only with the hunter.

    Raises
    ------
    InvalidSettingError
        If ``bounds`` are invalid or ``relative_distance`` is not a number > 0 (an
        :class:`InvalidSettingTypeError` if it is not a number).
    """

    points_needed = 1

    def __init__(
        self,
        bounds: Sequence[tuple[float, float]],
        relative_distance: float,
        test_all: bool = False,
    ) -> None:
        self.relative_distance = require_positive(
            "ParameterDistance relative_distance", relative_distance
        )
        self.max_distance = space_diagonal(bounds)
        self.n_params = len(bounds)
        self.test_all = bool(test_all)

    def _closest(self, hunt: Hunt) -> tuple[OptimizerView, float] | None:
        """The first optimizer found too close to the victim, and its distance."""
        here = hunt.victim.last_x
        if here is None:
            return None
        compared = hunt.others() if self.test_all else (hunt.hunter,)
        limit = self.relative_distance * self.max_distance
        for other in compared:
            there = other.last_x
            if there is not None:
                distance = float(np.linalg.norm(here - there))
                if distance <= limit:
                    return other, distance
        return None

    def check(self, hunt: Hunt) -> bool:
        return self._closest(hunt) is not None

    def describe(self, hunt: Hunt) -> str:
        other, distance = self._closest(hunt) or (hunt.hunter, float("nan"))
        return (
            f"its last point is {distance:.3g} from optimizer {other.opt_id}'s "
            f"(<= {self.relative_distance:g} x {self.max_distance:.3g})"
        )

    def __repr__(self) -> str:
        test_all = ", test_all=True" if self.test_all else ""
        return (
            f"ParameterDistance(<{self.n_params} bounds>, "
            f"relative_distance={self.relative_distance:g}{test_all})"
        )
