"""``Trigonometric``: a bowl that turns into a field of sharp ripples near its minimum [JY].

The module keeps GloMPO's name (``benchmark_fncs.trigonometric02``, [JY]'s Trigonometric 2).
"""

from __future__ import annotations

import numpy as np

from ._base import BaseTestCase

__all__ = ["Trigonometric"]


class Trigonometric(BaseTestCase):
    """The Trigonometric No. 2 function [JY].

    With ``u_i = (x_i - 0.9)^2``: ``f(x) = 1 + sum [8 sin^2(7 u_i) + 6 sin^2(14 u_i) + u_i]``.

    Bounds ``[-500, 500]``; minimum ``f(0.9, ..., 0.9) = 1``.
    """

    _range = (-500.0, 500.0)

    def _evaluate(self, x: np.ndarray) -> float:
        u = (x - 0.9) ** 2
        return float(1 + np.sum(8 * np.sin(7 * u) ** 2 + 6 * np.sin(14 * u) ** 2 + u))

    def _minimum(self) -> float:
        return 1.0

    def _minimiser(self) -> np.ndarray:
        return np.full(self.dims, 0.9)
