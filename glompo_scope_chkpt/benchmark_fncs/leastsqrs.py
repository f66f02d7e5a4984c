"""``ExpLeastSquaresCost``: the least-squares fit of a sum of exponentials to training data.

A synthetic problem of GloMPO's, written from its documented formula.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .._validation import require_count, require_non_negative
from ..errors import InvalidSettingError
from ._base import BaseTestCase, point_rng

__all__ = ["ExpLeastSquaresCost"]


class ExpLeastSquaresCost(BaseTestCase):
    """Least-squares cost of fitting the parameters ``p`` of ``g(p, u) = sum_i exp(-p_i u)``.

    ``f(p) = sum_k (g(p, u_k) - y_k)^2`` where ``y_k = g(p_true, u_k) (1 + e_k)``: true parameters
    drawn uniformly in ``p_range``, training points ``u_k``, and a fixed relative error ``e_k``
    drawn in ``[-sigma_fixed, sigma_fixed]``. Bounds ``p_range``; minimum near ``p_true`` (exact,
    0, when ``sigma_fixed = 0``; :attr:`min_fx` is the cost at ``p_true``).

    Parameters
    ----------
    dims, delay
        See :class:`.BaseTestCase`.
    n_train
        Number of training points.
    sigma_eval
        Each evaluation's residuals are multiplied by ``1 + e`` with ``e`` drawn in
        ``[-sigma_eval, sigma_eval]`` (a function of ``seed`` and the point when seeded).
    sigma_fixed
        Relative error of the training values.
    u_train
        An int ``n``: training points drawn in ``[0, n)``; a pair: drawn between them; a longer
        sequence: the training points themselves.
    p_range
        Where the true parameters are drawn, and the bounds.
    seed
        Seed of every draw, kept by the instance.
    """

    def __init__(
        self,
        dims: int = 2,
        *,
        n_train: int = 10,
        sigma_eval: float = 0.0,
        sigma_fixed: float = 0.0,
        u_train: int | Sequence[float] = 10,
        p_range: tuple[float, float] = (-2.0, 2.0),
        seed: int | None = None,
        delay: float = 0.0,
    ) -> None:
        super().__init__(dims, delay=delay)
        self.sigma_eval = require_non_negative("ExpLeastSquaresCost sigma_eval", sigma_eval)
        sigma_fixed = require_non_negative("ExpLeastSquaresCost sigma_fixed", sigma_fixed)
        if not p_range[0] < p_range[1]:
            raise InvalidSettingError(
                f"ExpLeastSquaresCost: p_range must be an increasing pair, got {p_range!r}."
            )
        rng, self.seed = np.random.default_rng(seed), seed
        self._range = (float(p_range[0]), float(p_range[1]))
        if isinstance(u_train, (int, np.integer)):
            size = require_count("ExpLeastSquaresCost n_train", n_train)
            self.u_train = rng.uniform(0, u_train, size)
        elif len(u_train) == 2:
            size = require_count("ExpLeastSquaresCost n_train", n_train)
            self.u_train = rng.uniform(u_train[0], u_train[1], size)
        else:
            self.u_train = np.array(u_train, dtype=float)
        self.p_true = rng.uniform(*self._range, self.dims)
        exact = self._model(self.p_true)
        self.y_train = exact * (1 + rng.uniform(-sigma_fixed, sigma_fixed, len(exact)))
        self._cost_at_truth = float(np.sum((exact - self.y_train) ** 2))

    def _model(self, p: np.ndarray) -> np.ndarray:
        return np.sum(np.exp(-np.outer(self.u_train, p)), axis=1)

    def resids(self, x: Sequence[float] | np.ndarray) -> np.ndarray:
        """The residuals ``g(x, u_k) - y_k`` (with the evaluation noise)."""
        point = np.asarray(x, dtype=float)
        error = self._model(point) - self.y_train
        if self.sigma_eval:
            error *= 1 + point_rng(self.seed, point).uniform(-self.sigma_eval, self.sigma_eval)
        return error

    def _evaluate(self, x: np.ndarray) -> float:
        return float(np.sum(self.resids(x) ** 2))

    def _minimum(self) -> float:
        return self._cost_at_truth

    def _minimiser(self) -> np.ndarray:
        return self.p_true.copy()
