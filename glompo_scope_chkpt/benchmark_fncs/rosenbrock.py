"""``Rosenbrock``: a long, curved, flat-bottomed valley [SB]."""

from __future__ import annotations

import numpy as np

from ._base import BaseTestCase

__all__ = ["Rosenbrock"]


class Rosenbrock(BaseTestCase):
    """The Rosenbrock function [SB].

    ``f(x) = sum_{i<d} [100 (x_{i+1} - x_i^2)^2 + (x_i - 1)^2]``

    Bounds ``[-2.048, 2.048]``; minimum ``f(1, ..., 1) = 0``.
    """

    _range = (-2.048, 2.048)

    def _evaluate(self, x: np.ndarray) -> float:
        return float(np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (x[:-1] - 1) ** 2))

    def _minimum(self) -> float:
        return 0.0

    def _minimiser(self) -> np.ndarray:
        return np.ones(self.dims)
