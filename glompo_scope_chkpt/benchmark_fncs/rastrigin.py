"""``Rastrigin``: a bowl covered in regular local minima [SB]."""

from __future__ import annotations

import numpy as np

from ._base import BaseTestCase

__all__ = ["Rastrigin"]


class Rastrigin(BaseTestCase):
    """The Rastrigin function [SB].

    ``f(x) = 10 d + sum [x_i^2 - 10 cos(2 pi x_i)]``

    Bounds ``[-5.12, 5.12]``; minimum ``f(0, ..., 0) = 0``.
    """

    _range = (-5.12, 5.12)

    def _evaluate(self, x: np.ndarray) -> float:
        return float(10 * len(x) + np.sum(x**2 - 10 * np.cos(2 * np.pi * x)))

    def _minimum(self) -> float:
        return 0.0

    def _minimiser(self) -> np.ndarray:
        return np.zeros(self.dims)
