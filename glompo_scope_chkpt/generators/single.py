"""``SinglePointGenerator``: every optimizer starts at the same point."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import InvalidSettingError
from .basegenerator import BaseGenerator, uniform_point

if TYPE_CHECKING:
    from ..engine.spawning import RunView

__all__ = ["SinglePointGenerator"]


class SinglePointGenerator(BaseGenerator):
    """Returns the same point for every optimizer.

    The point is ``x`` when given, otherwise one point drawn uniformly inside the bounds the first
    time it is needed (from the manager's generator) and kept, also across checkpoints.

    Parameters
    ----------
    x
        The start point. GloMPO's older order ``SinglePointGenerator(bounds, x)`` is understood
        too: a ``(n, 2)`` first argument is taken as bounds.
    bounds
        Accepted for GloMPO's older signature and not needed: the point is checked against,
        or drawn inside, the run's bounds.

    Raises
    ------
    InvalidSettingError
        If ``x`` is not a vector of finite numbers.
    """

    def __init__(
        self,
        x: Sequence[float] | np.ndarray | None = None,
        bounds: Sequence[tuple[float, float]] | Sequence[float] | None = None,
    ) -> None:
        point: Any = x
        if x is not None and np.ndim(x) == 2:  # GloMPO's older order (bounds, x)
            point = bounds
        self.vector = None if point is None else np.array(point, dtype=float)
        if self.vector is not None and (
            self.vector.ndim != 1 or not np.all(np.isfinite(self.vector))
        ):
            raise InvalidSettingError(
                f"SinglePointGenerator: x must be finite numbers, got {point!r}."
            )

    def generate(self, view: RunView) -> np.ndarray:
        if self.vector is None:
            self.vector = uniform_point(view.bounds, view.rng)
        return self.vector.copy()

    def check_run(self, bounds: np.ndarray, max_f_calls: int | None) -> None:
        vector = self.vector
        if vector is None:
            return
        if vector.shape != (len(bounds),):
            raise InvalidSettingError(
                f"SinglePointGenerator: x has {vector.size} values, the run has {len(bounds)} "
                f"parameters."
            )
        if np.any(vector < bounds[:, 0]) or np.any(vector > bounds[:, 1]):
            raise InvalidSettingError(
                f"SinglePointGenerator: x = {vector.tolist()} is outside the bounds."
            )

    def __repr__(self) -> str:
        shown = "" if self.vector is None else f"x={self.vector.tolist()}"
        return f"SinglePointGenerator({shown})"
