"""The ask/tell optimizer interface every optimizer of the manager implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np

from ..errors import InvalidSettingError

__all__ = ["BaseOptimizer"]


class BaseOptimizer(ABC):
    """An optimizer the manager drives by asking for points and telling their values.

    Its whole state lives in this plain object, so a checkpoint is a pickle of it taken in the
    manager's loop. Public methods validate and count; subclasses implement :meth:`_ask`,
    :meth:`_tell` and :meth:`_stop_reason`.

    Parameters
    ----------
    bounds
        ``(min, max)`` per parameter.
    x0
        Start point, inside ``bounds``.
    seed
        Seed of the optimizer's own random generator.

    Raises
    ------
    InvalidSettingError
        If ``x0`` does not fit ``bounds``.
    """

    def __init__(
        self,
        bounds: Sequence[tuple[float, float]] | np.ndarray,
        x0: Sequence[float] | np.ndarray,
        seed: int | None = None,
    ) -> None:
        self.bounds = np.asarray(bounds, dtype=float).reshape(-1, 2)
        self.x0 = np.asarray(x0, dtype=float)
        if self.x0.shape != (len(self.bounds),):
            raise InvalidSettingError(
                f"{type(self).__name__}: x0 has shape {self.x0.shape} but bounds describe "
                f"{len(self.bounds)} parameters."
            )
        self.rng = np.random.default_rng(seed)
        self.n_asked = 0
        self.n_told = 0

    @property
    def n_params(self) -> int:
        """Number of parameters."""
        return len(self.bounds)

    def ask(self) -> np.ndarray | None:
        """Return the next point to evaluate, or ``None`` while waiting for outstanding values.

        Raises
        ------
        RuntimeError
            If the optimizer has already stopped.
        """
        if self.stop_reason() is not None:
            raise RuntimeError(f"{type(self).__name__} has stopped: {self.stop_reason()}")
        x = self._ask()
        if x is not None:
            x = np.asarray(x, dtype=float)
            self.n_asked += 1
        return x

    def tell(self, x: np.ndarray, fx: float) -> None:
        """Give the optimizer the value ``fx`` of a point ``x`` it asked for.

        Raises
        ------
        ValueError
            If ``x`` has the wrong shape.
        """
        x = np.asarray(x, dtype=float)
        if x.shape != (self.n_params,):
            raise ValueError(f"{type(self).__name__}.tell: x must have shape ({self.n_params},).")
        self._tell(x, float(fx))
        self.n_told += 1

    def stop_reason(self) -> str | None:
        """Why the optimizer considers itself converged, or ``None`` while it goes on."""
        return self._stop_reason()

    @abstractmethod
    def _ask(self) -> np.ndarray | None:
        """Produce the next point, or ``None`` if none can be produced before more values."""

    @abstractmethod
    def _tell(self, x: np.ndarray, fx: float) -> None:
        """Take the value of a point."""

    @abstractmethod
    def _stop_reason(self) -> str | None:
        """Return the optimizer's own convergence reason, if any."""
