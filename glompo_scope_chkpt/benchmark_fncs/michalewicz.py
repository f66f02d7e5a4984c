"""``Michalewicz``: steep narrow valleys on a flat plain [SB]."""

from __future__ import annotations

import math

import numpy as np

from ._base import BaseTestCase

__all__ = ["Michalewicz"]

_BEST_COORDINATES = (
    2.202905506915179,
    1.5707963325679213,
    1.284991567292225,
    1.923058482907829,
    1.7204697795128374,
    1.5707963323727385,
    1.4544139728514853,
    1.7560865309406468,
    1.6557174237957164,
    1.5707963323557719,
)
"""For ``m = 10``, the best value of the ``i``-th coordinate (computed; the sum is separable)."""


class Michalewicz(BaseTestCase):
    """The Michalewicz function [SB].

    ``f(x) = -sum sin(x_i) sin^(2m)(i x_i^2 / pi)``

    Bounds ``[0, pi]``. As every term depends on one coordinate, the minimum is the sum of each
    term's own minimum; for ``m = 10`` these were computed for ``d <= 10``, giving the
    published ``-1.8013`` (``d = 2``), ``-4.687658`` (``d = 5``) and ``-9.66015`` (``d = 10``).
    Elsewhere :attr:`min_fx` is ``None``.

    Parameters
    ----------
    dims, delay
        See :class:`.BaseTestCase`.
    m
        Steepness; large values make needle-like valleys that tell nothing about the minimum.
    """

    _range = (0.0, math.pi)

    def __init__(self, dims: int = 2, m: float = 10, *, delay: float = 0.0) -> None:
        super().__init__(dims, delay=delay)
        self.m = float(m)

    def _evaluate(self, x: np.ndarray) -> float:
        i = np.arange(1, len(x) + 1)
        return float(-np.sum(np.sin(x) * np.sin(i * x**2 / math.pi) ** (2 * self.m)))

    def _minimum(self) -> float | None:
        point = self._minimiser()
        return None if point is None else self._evaluate(point)

    def _minimiser(self) -> np.ndarray | None:
        if self.m != 10 or self.dims > len(_BEST_COORDINATES):
            return None
        return np.array(_BEST_COORDINATES[: self.dims])
