"""Which optimizer to start next, and when to stop starting them (GloMPO's names and modules)."""

from __future__ import annotations

from .baseselector import BaseSelector, OptimizerSpec, SpawnControl
from .chain import ChainSelector
from .cycle import CycleSelector
from .random import RandomSelector
from .spawncontrol import IterSpawnStop, NOptimizersSpawnStop

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
