"""``IncumbentGenerator``: new optimizers start at the best point found so far."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .basegenerator import BoxGenerator, uniform_point

if TYPE_CHECKING:
    from ..engine.spawning import RunView

__all__ = ["IncumbentGenerator"]


class IncumbentGenerator(BoxGenerator):
    """Starts each optimizer at the incumbent (the best point of the run so far).

    Before any evaluation has returned a value, the point is drawn uniformly inside the bounds.
    An incumbent outside the bounds (an optimizer may evaluate there) is clipped into them.

    Parameters
    ----------
    bounds
        Where to draw while there is no incumbent (GloMPO's ``IncumbentGenerator(bounds)``); by
        default the run's bounds.
    """

    def generate(self, view: RunView) -> np.ndarray:
        if view.best_x is None:
            return uniform_point(self.box(view), view.rng)
        return np.clip(view.best_x, view.bounds[:, 0], view.bounds[:, 1])
