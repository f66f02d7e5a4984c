"""The evaluations a session submitted and has not processed yet."""

from __future__ import annotations

import concurrent.futures as cf
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any, cast

from ..core.state import PendingEvaluation
from .executors import CompletedCall
from .replay import Replay

__all__ = ["InFlight"]

Call = cf.Future | CompletedCall
"""A submitted evaluation: the executor's future, or one already done (serial, replayed)."""


class InFlight:
    """Submitted evaluations in submission order, with how many each optimizer has.

    Parameters
    ----------
    executor, task
        Where and what is evaluated.
    inline
        Evaluate at once when submitted (the serial executor) instead of through ``executor``.
    replay
        Answers the points the log holds already, so they are not evaluated again; or ``None``.
    """

    def __init__(
        self, executor: cf.Executor, task: Any, inline: bool, replay: Replay | None
    ) -> None:
        self.executor, self.task, self.inline, self.replay = executor, task, inline, replay
        self._calls: dict[Call, PendingEvaluation] = {}
        self._per_opt: Counter[int] = Counter()

    def __len__(self) -> int:
        return len(self._calls)

    def submit(self, ev: PendingEvaluation) -> None:
        """Evaluate ``ev``'s point (or take its logged value, see ``replay``)."""
        call: Call | None = None if self.replay is None else self.replay.answer(ev.x)
        if call is None:
            task, x = self.task, ev.x
            call = CompletedCall(task, x) if self.inline else self.executor.submit(task, x)
        self._calls[call] = ev
        self._per_opt[ev.opt_id] += 1

    def count(self, opt_id: int) -> int:
        """How many evaluations of optimizer ``opt_id`` are in flight."""
        return self._per_opt[opt_id]

    def pending(self) -> list[PendingEvaluation]:
        """Every evaluation in flight, in submission order (a checkpoint records them)."""
        return sorted(self._calls.values(), key=lambda ev: ev.eval_id)

    def wait_any(self, timeout: float) -> None:
        """Wait up to ``timeout`` seconds until one evaluation has finished."""
        if any(call.done() for call in self._calls):
            return
        futures = cast("Iterable[cf.Future]", self._calls)  # a CompletedCall is always done
        cf.wait(futures, timeout=timeout, return_when=cf.FIRST_COMPLETED)

    def finished(self) -> Iterator[tuple[PendingEvaluation, Call]]:
        """Take out the evaluations finished now, in submission order, one at a time.

        Those the caller does not take (it stops early) stay in flight.
        """
        for call in [call for call in self._calls if call.done()]:
            ev = self._calls.pop(call)
            self._per_opt[ev.opt_id] -= 1
            yield ev, call

    def cancel(self) -> None:
        """Cancel what has not started; the rest finishes unprocessed (it is recorded pending)."""
        for call in self._calls:
            call.cancel()
