"""Start points for new optimizers."""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

__all__ = ["BaseGenerator", "RandomGenerator"]


class BaseGenerator(ABC):
    """Chooses the start point of each new optimizer."""

    @abstractmethod
    def generate(self, bounds: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Return a start point inside ``bounds`` (shape ``(n, 2)``), drawing from ``rng``."""


class RandomGenerator(BaseGenerator):
    """A point drawn uniformly inside the bounds from the manager's seeded generator."""

    def generate(self, bounds: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return rng.uniform(bounds[:, 0], bounds[:, 1])

    def __repr__(self) -> str:
        return "RandomGenerator()"
