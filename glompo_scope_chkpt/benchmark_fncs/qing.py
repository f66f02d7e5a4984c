"""``Qing``: a flat floor between steep walls, with ``2^d`` equal minima [JY]."""

from __future__ import annotations

import numpy as np

from ._base import BaseTestCase

__all__ = ["Qing"]


class Qing(BaseTestCase):
    """The Qing function [JY].

    ``f(x) = sum (x_i^2 - i)^2``

    Bounds ``[-500, 500]``; minimum 0 at ``x_i = +-sqrt(i)`` (every sign combination).
    """

    _range = (-500.0, 500.0)

    def _evaluate(self, x: np.ndarray) -> float:
        return float(np.sum((x**2 - np.arange(1, len(x) + 1)) ** 2))

    def _minimum(self) -> float:
        return 0.0

    def _minimiser(self) -> np.ndarray:
        return np.sqrt(np.arange(1, self.dims + 1))
