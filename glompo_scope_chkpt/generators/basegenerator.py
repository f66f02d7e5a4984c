"""The base of every start-point generator."""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

__all__ = ["BaseGenerator"]


class BaseGenerator(ABC):
    """Chooses the start point of each new optimizer."""

    @abstractmethod
    def generate(self, bounds: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Return a start point inside ``bounds`` (shape ``(n, 2)``), drawing from ``rng``."""
