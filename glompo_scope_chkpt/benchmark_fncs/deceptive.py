"""``Deceptive``: slopes that lead away from a narrow global minimum [JY]."""

from __future__ import annotations

import numpy as np

from ._base import BaseTestCase

__all__ = ["Deceptive"]


class Deceptive(BaseTestCase):
    """The Deceptive function [JY].

    ``f(x) = -[(1/d) sum g_i(x_i)]^beta`` with, for each parameter and its hidden optimum
    ``0 < a_i <= 1``::

        g_i(x) = 0.8 - x / a_i                  for 0 <= x <= 0.8 a_i
                 5 x / a_i - 4                  for 0.8 a_i < x <= a_i
                 5 (x - a_i) / (a_i - 1) + 1    for a_i < x <= (1 + 4 a_i) / 5
                 (x - 1) / (1 - a_i) + 0.8      for (1 + 4 a_i) / 5 < x <= 1

    Bounds ``[0, 1]``; minimum ``f(a) = -1``.

    Parameters
    ----------
    dims, delay
        See :class:`.BaseTestCase`.
    b
        The exponent ``beta``.
    shift_positive
        Add 1, so that the minimum is 0.
    seed
        Seed of the draw of the optima ``a_i`` (uniform in ``(0, 1]``), kept by the instance.
    """

    _range = (0.0, 1.0)

    def __init__(
        self,
        dims: int = 2,
        b: float = 2.0,
        *,
        shift_positive: bool = False,
        seed: int | None = None,
        delay: float = 0.0,
    ) -> None:
        super().__init__(dims, delay=delay)
        self.b = float(b)
        self.alpha = 1.0 - np.random.default_rng(seed).random(self.dims)
        self._shift_to_zero(shift_positive)

    def _evaluate(self, x: np.ndarray) -> float:
        a = self.alpha
        with np.errstate(divide="ignore", invalid="ignore"):
            g = np.select(
                [x < 0, x <= 0.8 * a, x <= a, x <= (1 + 4 * a) / 5, x <= 1],
                [
                    0.0,
                    0.8 - x / a,
                    5 * x / a - 4,
                    5 * (x - a) / (a - 1) + 1,
                    (x - 1) / (1 - a) + 0.8,
                ],
                default=0.0,
            )
        return float(-(np.mean(g) ** self.b))

    def _minimum(self) -> float:
        return -1.0

    def _minimiser(self) -> np.ndarray:
        return self.alpha.copy()
