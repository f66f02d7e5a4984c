"""Killing conditions: stop optimizers that no longer contribute, so new ones can start.

Combine them with ``|`` and ``&``; the manager applies them every ``hunt_frequency``
evaluations, comparing each running optimizer with the one that found the run's best value.
"""

from __future__ import annotations

from .basehunter import BaseHunter
from .bestunmoving import BestUnmoving
from .evalsunmoving import EvaluationsUnmoving
from .lastptsinvalid import LastPointsInvalid
from .min_fcalls import MinFuncCalls
from .min_iterations import MinIterations
from .parameterdistance import ParameterDistance
from .pseudoconv import PseudoConverged
from .stagnation import StagnationHunter
from .stepsize import StepSize
from .timeannealing import TimeAnnealing
from .type import TypeHunter
from .valueannealing import ValueAnnealing
from .view import Hunt, OptimizerView

__all__ = [
    "BaseHunter",
    "BestUnmoving",
    "EvaluationsUnmoving",
    "Hunt",
    "LastPointsInvalid",
    "MinFuncCalls",
    "MinIterations",
    "OptimizerView",
    "ParameterDistance",
    "PseudoConverged",
    "StagnationHunter",
    "StepSize",
    "TimeAnnealing",
    "TypeHunter",
    "ValueAnnealing",
]
