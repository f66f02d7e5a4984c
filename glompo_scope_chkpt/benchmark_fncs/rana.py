"""``Rana``: a chaotic, highly multimodal surface whose best points lie on the bounds [JY]."""

from __future__ import annotations

import numpy as np

from ._base import BaseTestCase

__all__ = ["Rana"]


class Rana(BaseTestCase):
    """The Rana function [JY] (each parameter paired with the first).

    ``f(x) = sum_i [x_i sin(sqrt|x_1 - x_i + 1|) cos(sqrt|x_1 + x_i + 1|) + (x_1 + 1)
    sin(sqrt|x_1 + x_i + 1|) cos(sqrt|x_1 - x_i + 1|)]``

    Bounds ``[-500.000001, 500.000001]``. The published minimum, ``f(-500, -500) = -928.5478``,
    is not the lowest point of this formula in the bounds: for ``d = 2`` a search on a fine grid
    refined by L-BFGS-B found ``f(-500.000001, 496.1117385) = -963.2259`` (on the bound),
    given here. Other dimensions: :attr:`min_fx` is ``None``.
    """

    _range = (-500.000001, 500.000001)

    def _evaluate(self, x: np.ndarray) -> float:
        minus = np.sqrt(np.abs(x[0] - x + 1))
        plus = np.sqrt(np.abs(x[0] + x + 1))
        terms = x * np.sin(minus) * np.cos(plus) + (x[0] + 1) * np.sin(plus) * np.cos(minus)
        return float(np.sum(terms))

    def _minimum(self) -> float | None:
        point = self._minimiser()
        return None if point is None else self._evaluate(point)

    def _minimiser(self) -> np.ndarray | None:
        return np.array([-500.000001, 496.1117385]) if self.dims == 2 else None
