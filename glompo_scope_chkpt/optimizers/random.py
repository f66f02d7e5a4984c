"""Uniform random search: the simplest restartable optimizer."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import InvalidSettingError
from .base import BaseOptimizer

__all__ = ["RandomOptimizer"]


class RandomOptimizer(BaseOptimizer):
    """Samples points uniformly inside the bounds until ``max_evals`` values were told.

    Parameters
    ----------
    bounds, x0, seed
        See :class:`~glompo_scope_chkpt.optimizers.base.BaseOptimizer`; ``x0`` is the first point.
    max_evals
        Evaluations after which the optimizer reports convergence.

    Raises
    ------
    InvalidSettingError
        If ``max_evals < 1``.
    """

    def __init__(
        self,
        bounds: Sequence[tuple[float, float]],
        x0: Sequence[float],
        seed: int | None = None,
        max_evals: int = 1000,
    ) -> None:
        super().__init__(bounds, x0, seed)
        if max_evals < 1:
            raise InvalidSettingError(f"RandomOptimizer: max_evals must be >= 1, got {max_evals}.")
        self.max_evals = int(max_evals)

    def _ask(self) -> np.ndarray | None:
        if self.n_asked >= self.max_evals:
            return None
        if self.n_asked == 0:
            return self.x0.copy()
        return self.rng.uniform(self.bounds[:, 0], self.bounds[:, 1])

    def _tell(self, x: np.ndarray, fx: float) -> None:
        pass

    def _stop_reason(self) -> str | None:
        if self.n_told >= self.max_evals:
            return f"max_evals={self.max_evals} reached"
        return None
