"""``Levy``: a moderately rippled valley [SB]."""

from __future__ import annotations

import numpy as np

from ._base import BaseTestCase

__all__ = ["Levy"]


class Levy(BaseTestCase):
    """The Levy function [SB].

    With ``w_i = 1 + (x_i - 1) / 4``: ``f(x) = sin^2(pi w_1) + sum_{i<d} (w_i - 1)^2 [1 + 10
    sin^2(pi w_i + 1)] + (w_d - 1)^2 [1 + sin^2(2 pi w_d)]``.

    Bounds ``[-10, 10]``; minimum ``f(1, ..., 1) = 0``.
    """

    _range = (-10.0, 10.0)

    def _evaluate(self, x: np.ndarray) -> float:
        w = 1 + (x - 1) / 4
        inner = np.sum((w[:-1] - 1) ** 2 * (1 + 10 * np.sin(np.pi * w[:-1] + 1) ** 2))
        last = (w[-1] - 1) ** 2 * (1 + np.sin(2 * np.pi * w[-1]) ** 2)
        return float(np.sin(np.pi * w[0]) ** 2 + inner + last)

    def _minimum(self) -> float:
        return 0.0

    def _minimiser(self) -> np.ndarray:
        return np.ones(self.dims)
