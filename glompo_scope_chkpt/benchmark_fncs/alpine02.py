"""``Alpine02``: a product of growing sine waves [JY]."""

from __future__ import annotations

import numpy as np

from ._base import BaseTestCase

__all__ = ["Alpine02"]

_PEAK_X, _PEAK = 7.917052721355292, 2.808131180007003
"""Where ``sqrt(x) sin(x)`` is largest on ``[0, 10]``, and its value (computed)."""
_TROUGH_X, _TROUGH = 4.8158423536783035, -2.1827697846777205
"""Where it is smallest, and its value (computed)."""


class Alpine02(BaseTestCase):
    """The Alpine No. 2 function [JY], minimised.

    ``f(x) = prod sqrt(x_i) sin(x_i)``

    Bounds ``[0, 10]``. The product is lowest with one factor at its trough (``x = 4.8158``)
    and the others at their peak (``x = 7.9171``): ``f = -2.1828 * 2.8081^(d-1)``, which is
    ``-6.1295`` for ``d = 2`` as published; the constants were computed from the formula.
    """

    _range = (0.0, 10.0)

    def _evaluate(self, x: np.ndarray) -> float:
        return float(np.prod(np.sqrt(x) * np.sin(x)))

    def _minimum(self) -> float:
        return _TROUGH * _PEAK ** (self.dims - 1)

    def _minimiser(self) -> np.ndarray:
        return np.array([_TROUGH_X] + [_PEAK_X] * (self.dims - 1))
