"""``Stochastic``: a V-shaped bowl whose every evaluation is randomly scaled [JY]."""

from __future__ import annotations

import numpy as np

from ._base import BaseTestCase, point_rng

__all__ = ["Stochastic"]


class Stochastic(BaseTestCase):
    """The Stochastic function [JY].

    ``f(x) = sum e_i |x_i - 1/i|`` with each ``e_i`` drawn uniformly in ``[0, 1]`` at every
    evaluation.

    Bounds ``[-5, 5]``; minimum ``f(1, 1/2, ..., 1/d) = 0``.

    Parameters
    ----------
    dims, delay
        See :class:`.BaseTestCase`.
    seed
        When given, the draws are a function of the seed and the point, so a run is reproducible
        on any executor (evaluating one point twice gives one value); when ``None``, every
        evaluation draws afresh.
    """

    _range = (-5.0, 5.0)

    def __init__(self, dims: int = 2, *, seed: int | None = None, delay: float = 0.0) -> None:
        super().__init__(dims, delay=delay)
        self.seed = seed

    def _evaluate(self, x: np.ndarray) -> float:
        epsilon = point_rng(self.seed, x).random(len(x))
        return float(np.sum(epsilon * np.abs(x - 1 / np.arange(1, len(x) + 1))))

    def _minimum(self) -> float:
        return 0.0

    def _minimiser(self) -> np.ndarray:
        return 1 / np.arange(1, self.dims + 1)
