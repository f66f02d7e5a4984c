"""The periodic status line of a running optimization (``status_frequency``)."""

from __future__ import annotations

import datetime as dt

from ..core.state import RunState

__all__ = ["status_line"]


def status_line(state: RunState, n_running: int, elapsed: float, session: tuple[int, float]) -> str:
    """One line telling how the run stands.

    Parameters
    ----------
    state
        The run's state.
    n_running
        Optimizers running now.
    elapsed
        Seconds of optimization over every session.
    session
        Evaluations done and seconds spent by this session, for its rate.

    Returns
    -------
    str
        E.g. ``Status: 1200 evaluations (310.2/s), 3 optimizers running (5 started: 1
        converged, 1 killed, 0 crashed), best fx 1.234568e-03 (optimizer 2), 0:00:04 elapsed``.
    """
    done, seconds = session
    rate = f" ({done / seconds:.1f}/s)" if seconds > 0 else ""
    ended = ", ".join(f"{state.count(kind)} {kind}" for kind in ("converged", "killed", "crashed"))
    best = (
        f"best fx {state.best_fx:.6e} (optimizer {state.best_opt_id})"
        if state.best_opt_id is not None
        else "no value yet"
    )
    took = dt.timedelta(seconds=round(elapsed))
    return (
        f"Status: {state.f_counter} evaluations{rate}, {n_running} optimizers running "
        f"({state.n_started} started: {ended}), {best}, {took} elapsed"
    )
