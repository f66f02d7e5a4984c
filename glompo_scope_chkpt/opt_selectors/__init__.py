"""Which optimizer to start next."""

from __future__ import annotations

from .baseselector import BaseSelector, OptimizerSpec
from .cycle import CycleSelector

__all__ = ["OptimizerSpec", "BaseSelector", "CycleSelector"]
