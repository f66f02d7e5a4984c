"""``Vincent``: sine waves on a logarithmic scale, ever wider apart [JY]."""

from __future__ import annotations

import math

import numpy as np

from ._base import BaseTestCase

__all__ = ["Vincent"]


class Vincent(BaseTestCase):
    """The Vincent function [JY].

    ``f(x) = -sum sin(10 ln x_i)``

    Bounds ``[0.25, 10]``; minimum ``-d`` where ``10 ln x = pi/2 + 2 pi k``; in the bounds the
    published point is ``x_i = exp(0.05 pi + 0.6 pi) = 7.70628``.
    """

    _range = (0.25, 10.0)

    def _evaluate(self, x: np.ndarray) -> float:
        return float(-np.sum(np.sin(10 * np.log(x))))

    def _minimum(self) -> float:
        return -float(self.dims)

    def _minimiser(self) -> np.ndarray:
        return np.full(self.dims, math.exp(0.65 * math.pi))
