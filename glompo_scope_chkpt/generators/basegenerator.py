"""The base of every start-point generator."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from ..errors import InvalidSettingError

if TYPE_CHECKING:
    from ..engine.spawning import RunView

__all__ = ["BaseGenerator"]


class BaseGenerator(ABC):
    """Chooses the start point of each new optimizer.

    A generator reads the run through a :class:`~glompo_scope_chkpt.engine.spawning.RunView`. So
    that a serial, seeded run resumes exactly, every random draw comes from ``view.rng`` (the
    manager's generator, saved in each checkpoint) and any other state lives in the generator's
    own attributes (the generator is saved with the settings in each checkpoint).
    """

    @abstractmethod
    def generate(self, view: RunView) -> np.ndarray:
        """Return a start point inside ``view.bounds``."""

    def check_run(self, bounds: np.ndarray, max_f_calls: int | None) -> None:
        """Check, when the manager is set up, that this generator can serve the run.

        Parameters
        ----------
        bounds
            The run's ``(n, 2)`` bounds.
        max_f_calls
            The run's evaluation budget, if its convergence checker sets one.

        Raises
        ------
        InvalidSettingError
            If it cannot (the base accepts any run).
        """
        return None

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def uniform_point(bounds: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A point drawn uniformly inside ``bounds`` from ``rng``."""
    return rng.uniform(bounds[:, 0], bounds[:, 1])


class BoxGenerator(BaseGenerator):
    """A generator that may be given bounds of its own (GloMPO's generators take the bounds).

    Parameters
    ----------
    bounds
        ``(min, max)`` per parameter, inside the run's bounds; ``None`` takes the run's.

    Raises
    ------
    InvalidSettingError
        If ``bounds`` are not valid bounds.
    """

    bounds: np.ndarray | None = None

    def __init__(self, bounds: Sequence[tuple[float, float]] | None = None) -> None:
        from ..core.settings import validate_bounds  # the settings import the generators

        self.bounds = None if bounds is None else validate_bounds(bounds)

    def box(self, view: RunView) -> np.ndarray:
        """The bounds this generator draws in: its own, or else the run's."""
        return view.bounds if self.bounds is None else self.bounds

    def check_run(self, bounds: np.ndarray, max_f_calls: int | None) -> None:
        own = self.bounds
        if own is None:
            return
        if own.shape != bounds.shape:
            raise InvalidSettingError(
                f"{type(self).__name__} was given bounds for {len(own)} parameters, but the run "
                f"has {len(bounds)}."
            )
        if np.any(own[:, 0] < bounds[:, 0]) or np.any(own[:, 1] > bounds[:, 1]):
            raise InvalidSettingError(
                f"{type(self).__name__}'s bounds reach outside the run's bounds: its points "
                f"must be valid start points."
            )

    def __repr__(self) -> str:
        if self.bounds is None:
            return f"{type(self).__name__}()"
        return f"{type(self).__name__}(bounds={self.bounds.tolist()})"
