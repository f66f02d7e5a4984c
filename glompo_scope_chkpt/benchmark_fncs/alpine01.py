"""``Alpine01``: a non-periodic, highly oscillating surface [JY]."""

from __future__ import annotations

import numpy as np

from ._base import BaseTestCase

__all__ = ["Alpine01"]


class Alpine01(BaseTestCase):
    """The Alpine No. 1 function [JY].

    ``f(x) = sum |x_i sin(x_i) + 0.1 x_i|``

    Bounds ``[-10, 10]``; minimum ``f(0, ..., 0) = 0``.
    """

    _range = (-10.0, 10.0)

    def _evaluate(self, x: np.ndarray) -> float:
        return float(np.sum(np.abs(x * np.sin(x) + 0.1 * x)))

    def _minimum(self) -> float:
        return 0.0

    def _minimiser(self) -> np.ndarray:
        return np.zeros(self.dims)
