"""Driving an ask/tell optimizer one point at a time, as a serial manager does, on a small box."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from glompo_scope_chkpt.optimizers import BaseOptimizer
from tests.helpers.tasks import sphere

BOUNDS = [(-5.0, 5.0), (0.0, 2.0), (10.0, 30.0)]
"""Three parameters of unequal widths, one of them far from zero."""
X0 = [4.5, 0.1, 29.0]
"""A start point near the edges of ``BOUNDS``."""


def drive(
    optimizer: BaseOptimizer, evaluations: int, task: Callable[[np.ndarray], float] = sphere
) -> np.ndarray:
    """Ask for a point and tell its value, ``evaluations`` times.

    Returns
    -------
    numpy.ndarray
        The points asked, one row each.
    """
    points = []
    for _ in range(evaluations):
        x = optimizer.ask()
        assert x is not None, f"{optimizer!r} asked for nothing with no value outstanding"
        optimizer.tell(x, task(x))
        points.append(x)
    return np.array(points)
