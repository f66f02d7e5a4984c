"""``CycleSelector``: start the given optimizers in turn."""

from __future__ import annotations

from typing import Any

from ..optimizers.base import BaseOptimizer
from .baseselector import BaseSelector

__all__ = ["CycleSelector"]


class CycleSelector(BaseSelector):
    """Starts the given optimizers in turn: the first, the second, ..., then the first again."""

    def select(self, n_started: int) -> tuple[type[BaseOptimizer], dict[str, Any]]:
        cls, kwargs = self.specs[n_started % len(self.specs)]
        return cls, dict(kwargs)
