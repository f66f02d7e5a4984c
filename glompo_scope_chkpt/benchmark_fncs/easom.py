"""``Easom``: a flat plane with one small, deep hole [SB]."""

from __future__ import annotations

import math

import numpy as np

from ._base import BaseTestCase

__all__ = ["Easom"]


class Easom(BaseTestCase):
    """The Easom function [SB], in two dimensions.

    ``f(x) = -cos(x_1) cos(x_2) exp(-(x_1 - pi)^2 - (x_2 - pi)^2)``

    Bounds ``[-100, 100]``; minimum ``f(pi, pi) = -1``.

    Parameters
    ----------
    dims
        Must be 2.
    shift_positive
        Add 1, so that the minimum is 0.
    delay
        See :class:`.BaseTestCase`.
    """

    _range = (-100.0, 100.0)
    _fixed_dims = 2

    def __init__(self, dims: int = 2, *, shift_positive: bool = False, delay: float = 0.0) -> None:
        super().__init__(dims, delay=delay)
        self._shift_to_zero(shift_positive)

    def _evaluate(self, x: np.ndarray) -> float:
        distance = (x[0] - math.pi) ** 2 + (x[1] - math.pi) ** 2
        return float(-np.cos(x[0]) * np.cos(x[1]) * np.exp(-distance))

    def _minimum(self) -> float:
        return -1.0

    def _minimiser(self) -> np.ndarray:
        return np.array([math.pi, math.pi])
