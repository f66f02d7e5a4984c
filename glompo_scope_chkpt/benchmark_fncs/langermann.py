"""``Langermann``: ripples around a few centres, like drops on water [JY]."""

from __future__ import annotations

import math

import numpy as np

from ._base import BaseTestCase

__all__ = ["Langermann"]

_A = np.array([[3.0, 5.0], [5.0, 2.0], [2.0, 1.0], [1.0, 4.0], [7.0, 9.0]])
_C = np.array([1.0, 2.0, 5.0, 2.0, 3.0])


class Langermann(BaseTestCase):
    """The Langermann function [JY] (sign as in [JY]), in two dimensions.

    ``f(x) = -sum_i c_i exp(-r_i / pi) cos(pi r_i)``, ``r_i = sum_j (x_j - A_ij)^2`` with
    ``A = [(3, 5), (5, 2), (2, 1), (1, 4), (7, 9)]`` and ``c = (1, 2, 5, 2, 3)``.

    Bounds ``[0, 10]``; minimum ``f(2.00299212, 1.00609594) = -5.16212616`` (published as
    ``-5.1621259``; refined from the formula).

    Parameters
    ----------
    dims
        Must be 2.
    shift_positive
        Subtract the minimum, so that it is 0.
    delay
        See :class:`.BaseTestCase`.
    """

    _range = (0.0, 10.0)
    _fixed_dims = 2

    def __init__(self, dims: int = 2, *, shift_positive: bool = False, delay: float = 0.0) -> None:
        super().__init__(dims, delay=delay)
        self._shift_to_zero(shift_positive)

    def _evaluate(self, x: np.ndarray) -> float:
        r = np.sum((x - _A) ** 2, axis=1)
        return float(-np.sum(_C * np.exp(-r / math.pi) * np.cos(math.pi * r)))

    def _minimum(self) -> float:
        return -5.162126159963983

    def _minimiser(self) -> np.ndarray:
        return np.array([2.002992121305881, 1.0060959427230007])
