"""``Shubert``: a periodic, highly oscillating surface with many equal minima [JY]."""

from __future__ import annotations

import numpy as np

from ..errors import InvalidSettingError
from ._base import BaseTestCase

__all__ = ["Shubert"]

_J = np.arange(1.0, 6.0)
_COS_LOW_X, _COS_LOW = -7.708313735152703, -12.870885497725686
_COS_HIGH_X, _COS_HIGH = -7.083506407592857, 14.508007927195033
_SIN_LOW_X, _SIN_LOW = -1.1140996877677944, -14.83795002571059
"""Extremes of ``sum_j j cos((j + 1) x + j)`` and lowest point of the sine sum in the bounds
(computed)."""


class Shubert(BaseTestCase):
    """The Shubert functions No. 1, 3 and 4 [JY].

    With ``s(x) = sum_{j=1..5} j cos((j + 1) x + j)`` and ``t`` the same sum of sines:
    style 1 is ``prod s(x_i)``, style 3 ``sum t(x_i)`` and style 4 ``sum s(x_i)``.

    Bounds ``[-10, 10]``. Minima (from the extremes of ``s`` and ``t``, computed): style 1,
    ``-12.8709 * 14.5080^(d-1)`` (``-186.7309`` for ``d = 2`` as published); style 3,
    ``-14.8380 d``; style 4, ``-12.8709 d``. Each has many minimisers; :attr:`min_x` gives one.

    Parameters
    ----------
    dims, delay
        See :class:`.BaseTestCase`.
    style
        1, 3 or 4.
    shift_positive
        Subtract the minimum, so that it is 0.
    """

    _range = (-10.0, 10.0)

    def __init__(
        self, dims: int = 2, style: int = 1, *, shift_positive: bool = False, delay: float = 0.0
    ) -> None:
        super().__init__(dims, delay=delay)
        if style not in (1, 3, 4):
            raise InvalidSettingError(f"Shubert: style must be 1, 3 or 4, got {style!r}.")
        self.style = style
        self._shift_to_zero(shift_positive)

    def _evaluate(self, x: np.ndarray) -> float:
        phase = np.outer(x, _J + 1) + _J
        if self.style == 3:
            return float(np.sum(_J * np.sin(phase)))
        sums = np.sum(_J * np.cos(phase), axis=1)
        return float(np.prod(sums) if self.style == 1 else np.sum(sums))

    def _minimum(self) -> float:
        if self.style == 1:
            return _COS_LOW * _COS_HIGH ** (self.dims - 1)
        return (_SIN_LOW if self.style == 3 else _COS_LOW) * self.dims

    def _minimiser(self) -> np.ndarray:
        if self.style == 1:
            return np.array([_COS_LOW_X] + [_COS_HIGH_X] * (self.dims - 1))
        return np.full(self.dims, _SIN_LOW_X if self.style == 3 else _COS_LOW_X)

    def __repr__(self) -> str:
        return f"Shubert(dims={self.dims}, style={self.style})"
