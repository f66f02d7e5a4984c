"""Ask/tell optimizers the manager drives."""

from __future__ import annotations

from .base import BaseOptimizer
from .cmawrapper import CMAOptimizer
from .random import RandomOptimizer

__all__ = ["BaseOptimizer", "CMAOptimizer", "RandomOptimizer"]
