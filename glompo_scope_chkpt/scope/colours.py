"""One colour per optimizer, shared by the scope, its still and the trajectory plots.

This module's one concern is the colour rule. It depends only on the run's data: when each
optimizer started (its first evaluation) and when it ended (the evaluation of its killed, converged
or crashed marker). Optimizers take colours in the order they started; each takes the next colour
of the cycle (the first :data:`CYCLE` colours of :data:`PALETTE`) after the last one handed out
that no optimizer still running at its start holds, so no two optimizers running at the same time
share a colour and an optimizer that ended lately keeps its colour to itself for as long as
possible. The pale colours after the cycle are taken only when every colour of the cycle is held
(and colours repeat only when more run at once than the palette has colours).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from matplotlib import colormaps

from ..core.history import History, Marker

__all__ = [
    "CYCLE",
    "END_KINDS",
    "PALETTE",
    "Colour",
    "assign_colours",
    "history_spans",
    "spans_from",
]

Colour = tuple[float, float, float, float]

END_KINDS = ("killed", "converged", "crashed")
"""Markers that end an optimizer."""


def _palette() -> list[Colour]:
    def colours(name: str, count: int) -> list[Colour]:
        return [tuple(colormaps[name](i)) for i in range(count)]  # type: ignore[misc]

    tab10, dark2, tab20 = colours("tab10", 10), colours("Dark2", 8), colours("tab20", 20)
    strong = [tab10[i] for i in (0, 1, 2, 4, 5, 6, 8, 9, 3)]  # no grey; red (crashed) last
    light = [c for i, c in enumerate(tab20) if i % 2 and i != 15]
    return [*strong, *dark2[:7], *light]


PALETTE: list[Colour] = _palette()
"""Colours in the order they are given: tab10's strong colours (no grey, red last), Dark2's,
tab20's light twins. Black, grey and gold stay free for the markers and the checkpoint lines."""

CYCLE = 16
"""The strong colours handed out in turn: tab10's and Dark2's."""

Span = tuple[int, "int | None"]
"""An optimizer's first evaluation and the evaluation it ended at (``None`` while running)."""


def assign_colours(spans: Mapping[int, Span]) -> dict[int, Colour]:
    """Give each optimizer of ``spans`` (``opt_id -> (first call, end call or None)``) a colour."""
    colours: dict[int, Colour] = {}
    holders: dict[int, int | None] = {}  # palette slot -> end call of the optimizer holding it
    last = -1  # the slot of the cycle handed out last
    for count, opt_id in enumerate(sorted(spans, key=lambda o: (spans[o][0], o))):
        start, end = spans[opt_id]
        taken = {s for s, until in holders.items() if until is None or until >= start}
        order = [*((last + 1 + i) % CYCLE for i in range(CYCLE)), *range(CYCLE, len(PALETTE))]
        slot = next((s for s in order if s not in taken), count % len(PALETTE))
        if slot < CYCLE:
            last = slot
        holders[slot] = end
        colours[opt_id] = PALETTE[slot]
    return colours


def spans_from(first_calls: Mapping[int, int], markers: Iterable[Marker]) -> dict[int, Span]:
    """Spans of the optimizers with a first evaluation; the first ending marker ends each."""
    ends: dict[int, int] = {}
    for marker in markers:
        if marker.kind in END_KINDS and marker.opt_id is not None:
            ends.setdefault(marker.opt_id, marker.call_id)
    return {opt_id: (start, ends.get(opt_id)) for opt_id, start in first_calls.items()}


def history_spans(history: History) -> dict[int, Span]:
    """Spans of every optimizer with an evaluation in ``history``."""
    first = {o: t.first_call for o, t in history.traces.items() if len(t)}
    return spans_from(first, history.markers)
