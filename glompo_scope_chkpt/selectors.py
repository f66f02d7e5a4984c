"""The optimizer selectors under their first name; GloMPO's is :mod:`.opt_selectors`."""

from __future__ import annotations

from .opt_selectors import (
    BaseSelector,
    ChainSelector,
    CycleSelector,
    IterSpawnStop,
    NOptimizersSpawnStop,
    OptimizerSpec,
    RandomSelector,
    SpawnControl,
)

__all__ = [
    "OptimizerSpec",
    "SpawnControl",
    "BaseSelector",
    "ChainSelector",
    "CycleSelector",
    "IterSpawnStop",
    "NOptimizersSpawnStop",
    "RandomSelector",
]
