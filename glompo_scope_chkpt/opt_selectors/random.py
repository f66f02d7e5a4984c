"""``RandomSelector``: start one of the given optimizers, drawn at random."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .baseselector import BaseSelector

if TYPE_CHECKING:
    from ..engine.spawning import RunView

__all__ = ["RandomSelector"]


class RandomSelector(BaseSelector):
    """Starts one of the given optimizers drawn uniformly, from the manager's seeded generator."""

    def _select(self, view: RunView) -> int | None:
        return int(view.rng.integers(len(self.specs)))
