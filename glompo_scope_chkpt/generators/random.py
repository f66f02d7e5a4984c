"""``RandomGenerator``: start points drawn uniformly inside the bounds."""

from __future__ import annotations

import numpy as np

from .basegenerator import BaseGenerator

__all__ = ["RandomGenerator"]


class RandomGenerator(BaseGenerator):
    """A point drawn uniformly inside the bounds from the manager's seeded generator."""

    def generate(self, bounds: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return rng.uniform(bounds[:, 0], bounds[:, 1])

    def __repr__(self) -> str:
        return "RandomGenerator()"
