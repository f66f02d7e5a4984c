"""The base of every killing condition."""

from __future__ import annotations

from abc import ABC, abstractmethod

from ..core.state import OptimizerRecord

__all__ = ["BaseHunter"]


class BaseHunter(ABC):
    """Decides whether an optimizer should be stopped, given the best value of the whole run."""

    @abstractmethod
    def should_kill(self, record: OptimizerRecord, best_fx: float) -> str | None:
        """Return the reason to stop ``record``'s optimizer, or ``None`` to let it run."""
