"""Benchmark functions to try a configuration on before an expensive task (GloMPO's names).

Each is a picklable callable ``f(x) -> float`` with ``bounds``, ``min_fx`` and, where known,
``min_x``; the formulas and their references are in :mod:`._base`.
"""

from __future__ import annotations

from ._base import BaseTestCase
from .ackley import Ackley
from .alpine01 import Alpine01
from .alpine02 import Alpine02
from .deceptive import Deceptive
from .easom import Easom
from .griewank import Griewank
from .langermann import Langermann
from .leastsqrs import ExpLeastSquaresCost
from .lennardjones import LennardJones
from .levy import Levy
from .michalewicz import Michalewicz
from .qing import Qing
from .rana import Rana
from .rastrigin import Rastrigin
from .rosenbrock import Rosenbrock
from .schwefel import Schwefel
from .shekel import Shekel
from .shubert import Shubert
from .stochastic import Stochastic
from .styblinskitang import StyblinskiTang
from .trigonometric02 import Trigonometric
from .vincent import Vincent
from .zerosum import ZeroSum

Trigonometric02 = Trigonometric
"""[JY]'s name for :class:`Trigonometric`."""

__all__ = [
    "BaseTestCase",
    "Ackley",
    "Alpine01",
    "Alpine02",
    "Deceptive",
    "Easom",
    "ExpLeastSquaresCost",
    "Griewank",
    "Langermann",
    "LennardJones",
    "Levy",
    "Michalewicz",
    "Qing",
    "Rana",
    "Rastrigin",
    "Rosenbrock",
    "Schwefel",
    "Shekel",
    "Shubert",
    "Stochastic",
    "StyblinskiTang",
    "Trigonometric",
    "Trigonometric02",
    "Vincent",
    "ZeroSum",
]
