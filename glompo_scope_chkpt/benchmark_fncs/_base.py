"""The base of every benchmark function: bounds, known minimum, optional delay, and checks.

The functions are written from their published formulas:

- **[SB]** Surjanovic, S. & Bingham, D. (2013). *Virtual Library of Simulation Experiments:
  Test Functions and Datasets.* Simon Fraser University. https://www.sfu.ca/~ssurjano/
- **[JY]** Jamil, M. & Yang, X.-S. (2013). A literature survey of benchmark functions for global
  optimisation problems. *Int. J. Mathematical Modelling and Numerical Optimisation* 4(2),
  150-194. arXiv:1308.4008.
- **[WD]** Wales, D. J. & Doye, J. P. K. (1997). Global optimization by basin-hopping and the
  lowest energy structures of Lennard-Jones clusters containing up to 110 atoms. *J. Phys.
  Chem. A* 101, 5111-5116 (the Cambridge Cluster Database lists the energies).

Where a reference gives the minimum only to a few digits, or none for some dimensions, the value
here was computed from the formula (each docstring says so).
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np

from .._validation import require_count, require_non_negative
from ..errors import InvalidSettingError

__all__ = ["BaseTestCase", "point_rng"]


def point_rng(seed: int | None, x: np.ndarray) -> np.random.Generator:
    """A generator for the noise of an evaluation at ``x``.

    With a seed, the noise is a function of the seed and the point: reproducible whichever
    process evaluates it and however the function was pickled. Without one it is fresh.
    """
    if seed is None:
        return np.random.default_rng()
    words = np.ascontiguousarray(x, dtype=float).view(np.uint32)
    return np.random.default_rng([seed, *words.tolist()])


class BaseTestCase(ABC):
    """A test function ``f(x) -> float`` with recommended bounds and, where known, its minimum.

    Instances are plain picklable objects, so they run on every executor and checkpoint with the
    run.

    Parameters
    ----------
    dims
        Number of parameters.
    delay
        Seconds each evaluation sleeps, to mimic an expensive function.

    Raises
    ------
    InvalidSettingTypeError
        If ``dims`` is not an integer or ``delay`` not a number.
    InvalidSettingError
        If ``dims < 1``, the function has another fixed dimension, or ``delay < 0``.
    """

    _range: tuple[float, float] = (-1.0, 1.0)
    """Recommended bounds of every parameter (subclasses with other bounds override them)."""
    _fixed_dims: int | None = None
    """The only dimension the function is defined in, if it has one."""

    def __init__(self, dims: int = 2, *, delay: float = 0.0) -> None:
        name = type(self).__name__
        self._dims = require_count(f"{name} dims", dims)
        if self._fixed_dims is not None and self._dims != self._fixed_dims:
            raise InvalidSettingError(f"{name} is defined in {self._fixed_dims} dimensions only.")
        self._delay = require_non_negative(f"{name} delay", delay)
        self._offset = 0.0

    @property
    def dims(self) -> int:
        """Number of parameters."""
        return self._dims

    @property
    def delay(self) -> float:
        """Seconds each evaluation sleeps."""
        return self._delay

    @property
    def bounds(self) -> list[tuple[float, float]]:
        """Recommended ``(min, max)`` of each parameter."""
        return [self._range] * self._dims

    @property
    def min_fx(self) -> float | None:
        """The global minimum's value, or ``None`` where it is not known."""
        minimum = self._minimum()
        return None if minimum is None else minimum + self._offset

    @property
    def min_x(self) -> list[float] | None:
        """A point where the global minimum lies, or ``None`` where it is not known."""
        point = self._minimiser()
        return None if point is None else [float(v) for v in point]

    def __call__(self, x: Sequence[float] | np.ndarray) -> float:
        """The function's value at ``x``.

        Raises
        ------
        ValueError
            If ``x`` does not hold :attr:`dims` numbers.
        """
        point = np.asarray(x, dtype=float)
        if point.shape != (self._dims,):
            raise ValueError(
                f"{type(self).__name__} takes {self._dims} parameters, got shape {point.shape}."
            )
        if self._delay:
            time.sleep(self._delay)
        return float(self._evaluate(point)) + self._offset

    def _shift_to_zero(self, shift_positive: bool) -> None:
        """Move the function by its minimum, so the minimum is 0 (GloMPO's ``shift_positive``)."""
        if not shift_positive:
            return
        minimum = self._minimum()
        if minimum is None:
            raise InvalidSettingError(
                f"{type(self).__name__}: shift_positive needs the minimum, which is not known "
                f"for this configuration."
            )
        self._offset = -minimum

    @abstractmethod
    def _evaluate(self, x: np.ndarray) -> float:
        """The function's value at ``x`` (shape ``(dims,)``), without offset or delay."""

    @abstractmethod
    def _minimum(self) -> float | None:
        """The unshifted global minimum, or ``None``."""

    def _minimiser(self) -> np.ndarray | None:
        """A global minimiser, or ``None``."""
        return None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(dims={self._dims})"
