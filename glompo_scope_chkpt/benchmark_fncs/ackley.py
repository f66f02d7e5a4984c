"""``Ackley``: a nearly flat outer region around one deep central hole [SB]."""

from __future__ import annotations

import math

import numpy as np

from ._base import BaseTestCase

__all__ = ["Ackley"]


class Ackley(BaseTestCase):
    """The Ackley function [SB].

    ``f(x) = -a exp(-b sqrt(mean(x_i^2))) - exp(mean(cos(c x_i))) + a + e``

    Bounds ``[-32.768, 32.768]``; minimum ``f(0, ..., 0) = 0``.

    Parameters
    ----------
    dims, delay
        See :class:`.BaseTestCase`.
    a, b, c
        The function's constants (20, 0.2 and 2 pi by default).
    """

    _range = (-32.768, 32.768)

    def __init__(
        self,
        dims: int = 2,
        a: float = 20.0,
        b: float = 0.2,
        c: float = 2 * math.pi,
        *,
        delay: float = 0.0,
    ) -> None:
        super().__init__(dims, delay=delay)
        self.a, self.b, self.c = float(a), float(b), float(c)

    def _evaluate(self, x: np.ndarray) -> float:
        spread = -self.a * np.exp(-self.b * np.sqrt(np.mean(x**2)))
        return float(spread - np.exp(np.mean(np.cos(self.c * x))) + self.a + math.e)

    def _minimum(self) -> float:
        return 0.0

    def _minimiser(self) -> np.ndarray:
        return np.zeros(self.dims)
