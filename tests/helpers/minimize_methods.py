"""Custom ``scipy.optimize.minimize`` methods for the tests (importable, so they pickle)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np


def global_random_search(
    fun: Callable[[np.ndarray], float],
    x0: np.ndarray,
    bounds: Sequence[tuple[float, float]] | None = None,
    maxfev: int = 10_000,
    **_: Any,
) -> Any:
    """Steps from the best point in random directions drawn from numpy's *global* generator.

    Its points depend on something outside the optimizer, so replaying its run in another
    process that seeded numpy differently asks other points.
    """
    from scipy.optimize import OptimizeResult

    best_x = np.asarray(x0, dtype=float)
    best_f = fun(best_x)
    low, high = np.array(bounds, dtype=float).T if bounds is not None else (-np.inf, np.inf)
    for _ in range(maxfev - 1):
        x = np.clip(best_x + 0.3 * np.random.standard_normal(best_x.shape), low, high)
        f = fun(x)
        if f < best_f:
            best_x, best_f = x, f
    return OptimizeResult(x=best_x, fun=best_f, success=True, message="maxfev reached")


class FailsAtCall:
    """A method that evaluates ``x0`` ``calls - 1`` times, then raises ``ArithmeticError``."""

    def __init__(self, calls: int) -> None:
        self.calls = calls
        self.__name__ = f"fails_at_call_{calls}"

    def __call__(self, fun: Callable[[np.ndarray], float], x0: np.ndarray, **_: Any) -> Any:
        for _ in range(self.calls - 1):
            fun(np.asarray(x0, dtype=float))
        raise ArithmeticError("the method broke down")
