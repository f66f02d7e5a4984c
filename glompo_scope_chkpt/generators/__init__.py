"""Start points for new optimizers (GloMPO's names and modules)."""

from __future__ import annotations

from .basegenerator import BaseGenerator
from .basinhopping import BasinHoppingGenerator
from .best import IncumbentGenerator
from .exploit_explore import ExploitExploreGenerator
from .peterbation import PerturbationGenerator
from .random import RandomGenerator
from .single import SinglePointGenerator

__all__ = [
    "BaseGenerator",
    "BasinHoppingGenerator",
    "ExploitExploreGenerator",
    "IncumbentGenerator",
    "PerturbationGenerator",
    "RandomGenerator",
    "SinglePointGenerator",
]
