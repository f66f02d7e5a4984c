"""``Schwefel``: the best minimum lies far from the next best ones [SB]."""

from __future__ import annotations

import numpy as np

from ._base import BaseTestCase

__all__ = ["Schwefel"]

_BEST_X, _DEPTH = 420.9687436961694, 418.9828872724328
"""Where ``x sin(sqrt|x|)`` is largest in the bounds, and its value (computed)."""


class Schwefel(BaseTestCase):
    """The Schwefel function [SB], without its constant term unless shifted.

    ``f(x) = -sum x_i sin(sqrt|x_i|)``

    Bounds ``[-500, 500]``; minimum ``f(420.9687, ..., 420.9687) = -418.9829 d``.

    Parameters
    ----------
    dims, delay
        See :class:`.BaseTestCase`.
    shift_positive
        Add ``418.9829 d`` ([SB]'s constant, computed to full precision), so that the minimum
        is 0.
    """

    _range = (-500.0, 500.0)

    def __init__(self, dims: int = 2, *, shift_positive: bool = False, delay: float = 0.0) -> None:
        super().__init__(dims, delay=delay)
        self._shift_to_zero(shift_positive)

    def _evaluate(self, x: np.ndarray) -> float:
        return float(-np.sum(x * np.sin(np.sqrt(np.abs(x)))))

    def _minimum(self) -> float:
        return -_DEPTH * self.dims

    def _minimiser(self) -> np.ndarray:
        return np.full(self.dims, _BEST_X)
