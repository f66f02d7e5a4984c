"""``RandomGenerator``: start points drawn uniformly inside the bounds."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .basegenerator import BoxGenerator, uniform_point

if TYPE_CHECKING:
    from ..engine.spawning import RunView

__all__ = ["RandomGenerator"]


class RandomGenerator(BoxGenerator):
    """A point drawn uniformly inside the bounds from the manager's seeded generator.

    Parameters
    ----------
    bounds
        Where to draw (GloMPO's ``RandomGenerator(bounds)``), inside the run's bounds; by
        default the run's bounds.
    """

    def generate(self, view: RunView) -> np.ndarray:
        return uniform_point(self.box(view), view.rng)
