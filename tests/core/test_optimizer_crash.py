"""An optimizer whose ``ask`` raises crashes alone, like one whose ``tell`` raises."""

from __future__ import annotations

import numpy as np
import pytest

from glompo_scope_chkpt.errors import GloMPOError
from glompo_scope_chkpt.opt_selectors import CycleSelector
from glompo_scope_chkpt.optimizers import RandomOptimizer


class AskFails(RandomOptimizer):
    """Random search whose ``ask`` raises at its 5th point (as a library's bug would)."""

    def _ask(self) -> np.ndarray | None:
        if self.n_asked == 4:
            raise TypeError("only 0-dimensional arrays can be converted to Python scalars")
        return super()._ask()


def test_an_optimizer_whose_ask_raises_crashes_and_the_run_goes_on(make_manager):
    selector = CycleSelector((AskFails, {"max_evals": 50}), (RandomOptimizer, {"max_evals": 50}))
    manager = make_manager(opt_selector=selector, control=None)
    result = manager.start_manager()
    records = manager.state.optimizers.values()
    crashed = [rec for rec in records if rec.status == "crashed"]
    assert result.stats["f_counter"] == 600
    assert crashed and all(rec.opt_type == "AskFails" and rec.n_evals == 4 for rec in crashed)
    assert crashed[0].end_reason == (
        "AskFails.ask raised TypeError('only 0-dimensional arrays can be converted to Python "
        "scalars')"
    )


class AskAlwaysFails(RandomOptimizer):
    """Random search whose every ``ask`` raises."""

    def _ask(self) -> np.ndarray | None:
        raise ZeroDivisionError("broken")


def test_optimizers_crashing_in_ask_again_and_again_end_the_run(make_manager):
    manager = make_manager(opt_selector=CycleSelector(AskAlwaysFails), control=None)
    with pytest.raises(GloMPOError, match=r"10 optimizers in a row crashed in ask\(\), the last"):
        manager.start_manager()
