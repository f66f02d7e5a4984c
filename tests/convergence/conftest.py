"""A factory of run figures for the convergence conditions to judge."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest

from glompo_scope_chkpt.convergence import RunStatus


@pytest.fixture
def make_status() -> Callable[..., RunStatus]:
    """Build a :class:`RunStatus` of a run just started; keywords set the figures that matter."""

    def build(**figures: Any) -> RunStatus:
        start = {
            "f_counter": 0,
            "elapsed": 0.0,
            "session_elapsed": 0.0,
            "best_fx": math.inf,
            "n_started": 0,
            "n_converged": 0,
            "n_killed": 0,
        }
        return RunStatus(**{**start, **figures})

    return build
