"""``StyblinskiTang``: ``2^d`` nearly equal basins, one slightly deeper [SB]."""

from __future__ import annotations

import numpy as np

from ._base import BaseTestCase

__all__ = ["StyblinskiTang"]

_BEST_X, _BEST = -2.9035340314007785, -39.16616570377141
"""The best coordinate and the value of its term (computed)."""


class StyblinskiTang(BaseTestCase):
    """The Styblinski-Tang function [SB].

    ``f(x) = 1/2 sum (x_i^4 - 16 x_i^2 + 5 x_i)``

    Bounds ``[-500, 500]`` (GloMPO's; [SB] uses ``[-5, 5]``); minimum ``f(-2.903534, ...) =
    -39.16617 d``.
    """

    _range = (-500.0, 500.0)

    def _evaluate(self, x: np.ndarray) -> float:
        return float(np.sum(x**4 - 16 * x**2 + 5 * x) / 2)

    def _minimum(self) -> float:
        return _BEST * self.dims

    def _minimiser(self) -> np.ndarray:
        return np.full(self.dims, _BEST_X)
