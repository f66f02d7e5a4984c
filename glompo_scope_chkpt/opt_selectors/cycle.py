"""``CycleSelector``: start the given optimizers in turn."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .baseselector import BaseSelector

if TYPE_CHECKING:
    from ..engine.spawning import RunView

__all__ = ["CycleSelector"]


class CycleSelector(BaseSelector):
    """Starts the given optimizers in turn: the first, the second, ..., then the first again.

    The turn is the number of optimizers started so far, so it needs no state of its own.
    """

    def _select(self, view: RunView) -> int | None:
        return view.o_counter % len(self.specs)
