"""``Shekel``: a few minima of different depths on a flat plain [SB]."""

from __future__ import annotations

import numpy as np

from ..errors import InvalidSettingError
from ._base import BaseTestCase

__all__ = ["Shekel"]

_C = np.array(
    [
        [4.0, 1.0, 8.0, 6.0, 3.0, 2.0, 5.0, 8.0, 6.0, 7.0],
        [4.0, 1.0, 8.0, 6.0, 7.0, 9.0, 3.0, 1.0, 2.0, 3.6],
        [4.0, 1.0, 8.0, 6.0, 3.0, 2.0, 5.0, 8.0, 6.0, 7.0],
        [4.0, 1.0, 8.0, 6.0, 7.0, 9.0, 3.0, 1.0, 2.0, 3.6],
    ]
)
_BETA = 0.1 * np.array([1.0, 2.0, 2.0, 4.0, 4.0, 6.0, 3.0, 7.0, 5.0, 5.0])
_MINIMISERS = {
    5: (4.000037154, 4.000133276, 4.000037154, 4.000133276),
    7: (4.000572824, 3.999606214, 4.000572824, 3.999606214),
    10: (4.000746867, 3.999509481, 4.000746867, 3.999509481),
}
"""For ``d = 4``, the minimiser for each ``m`` near ``(4, 4, 4, 4)`` (refined from the formula)."""


class Shekel(BaseTestCase):
    """The Shekel function [SB], with the first ``dims`` rows of its matrix.

    ``f(x) = -sum_{i<=m} 1 / (sum_j (x_j - C_ji)^2 + beta_i)``

    Bounds ``[-32.768, 32.768]`` (GloMPO's; [SB] uses ``[0, 10]``). For ``d = 4`` the minimum
    lies near ``(4, 4, 4, 4)``: ``-10.1532`` (``m = 5``), ``-10.4029`` (``m = 7``),
    ``-10.5364`` (``m = 10``); for other ``d`` :attr:`min_fx` is ``None``.

    Parameters
    ----------
    dims
        1 to 4.
    m
        Number of minima: 5, 7 or 10.
    shift_positive
        Subtract the minimum so that it is 0 (``d = 4`` only).
    delay
        See :class:`.BaseTestCase`.
    """

    _range = (-32.768, 32.768)

    def __init__(
        self, dims: int = 2, m: int = 10, *, shift_positive: bool = False, delay: float = 0.0
    ) -> None:
        super().__init__(dims, delay=delay)
        if self.dims > 4 or m not in _MINIMISERS:
            raise InvalidSettingError(
                f"Shekel is defined for dims 1 to 4 and m = 5, 7 or 10, got dims={dims}, m={m}."
            )
        self.m = int(m)
        self._shift_to_zero(shift_positive)

    def _evaluate(self, x: np.ndarray) -> float:
        centres = _C[: len(x), : self.m]
        return float(-np.sum(1 / (np.sum((x[:, None] - centres) ** 2, axis=0) + _BETA[: self.m])))

    def _minimum(self) -> float | None:
        point = self._minimiser()
        return None if point is None else self._evaluate(point)

    def _minimiser(self) -> np.ndarray | None:
        return np.array(_MINIMISERS[self.m]) if self.dims == 4 else None

    def __repr__(self) -> str:
        return f"Shekel(dims={self.dims}, m={self.m})"
