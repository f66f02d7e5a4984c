"""``Griewank``: regular ripples on a wide bowl [SB]."""

from __future__ import annotations

import numpy as np

from ._base import BaseTestCase

__all__ = ["Griewank"]


class Griewank(BaseTestCase):
    """The Griewank function [SB].

    ``f(x) = 1 + sum x_i^2 / 4000 - prod cos(x_i / sqrt(i))``

    Bounds ``[-600, 600]``; minimum ``f(0, ..., 0) = 0``.
    """

    _range = (-600.0, 600.0)

    def _evaluate(self, x: np.ndarray) -> float:
        i = np.arange(1, len(x) + 1)
        return float(1 + np.sum(x**2) / 4000 - np.prod(np.cos(x / np.sqrt(i))))

    def _minimum(self) -> float:
        return 0.0

    def _minimiser(self) -> np.ndarray:
        return np.zeros(self.dims)
