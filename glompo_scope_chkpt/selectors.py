"""The optimizer selectors under their first name; GloMPO's is :mod:`.opt_selectors`."""

from __future__ import annotations

from .opt_selectors import BaseSelector, CycleSelector, OptimizerSpec

__all__ = ["OptimizerSpec", "BaseSelector", "CycleSelector"]
