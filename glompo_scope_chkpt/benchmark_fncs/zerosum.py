"""``ZeroSum``: a narrow slanted valley of minima where the parameters sum to zero [JY]."""

from __future__ import annotations

import math

import numpy as np

from ._base import BaseTestCase

__all__ = ["ZeroSum"]


class ZeroSum(BaseTestCase):
    """The Zero Sum function [JY].

    ``f(x) = 0`` if ``sum x_i = 0``, else ``1 + sqrt(10000 |sum x_i|)``.

    Bounds ``[-10, 10]``; minimum 0 wherever the sum is 0 (e.g. at the origin).
    """

    _range = (-10.0, 10.0)

    def _evaluate(self, x: np.ndarray) -> float:
        total = float(np.sum(x))
        return 0.0 if total == 0 else 1 + math.sqrt(10_000 * abs(total))

    def _minimum(self) -> float:
        return 0.0

    def _minimiser(self) -> np.ndarray:
        return np.zeros(self.dims)
