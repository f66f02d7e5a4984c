"""The history cursor hands out what the history gained in pieces of a bounded number of points."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from glompo_scope_chkpt.core.history import History, Marker
from glompo_scope_chkpt.scope.cursor import HistoryCursor, HistoryDelta
from tests.helpers.unpacks import count_unpacks


def _history(n: int, start: int = 1, history: History | None = None) -> History:
    """Evaluations ``start..start+n-1`` of optimizers 0-4 (unevenly), with a few markers."""
    history = History() if history is None else history
    for call_id in range(start, start + n):
        opt_id = (call_id * call_id) % 5
        history.add_point(opt_id, call_id, float(call_id % 97))
        if call_id % 1234 == 0:
            history.add_marker("checkpoint", call_id)
        if call_id % 2345 == 0:
            history.add_marker("killed", call_id, opt_id=opt_id, fx=1.0)
    return history


def _joined(pieces: list[HistoryDelta]) -> tuple[dict[int, list[int]], list[Marker]]:
    points: dict[int, list[int]] = {}
    for piece in pieces:
        for opt_id, (call_ids, fx) in piece.points.items():
            np.testing.assert_array_equal(call_ids % 97, fx)
            points.setdefault(opt_id, []).extend(call_ids.tolist())
    return points, [m for piece in pieces for m in piece.markers]


@pytest.mark.parametrize("limit", [1, 999, 5000, 20_000])
def test_pieces_stay_within_the_limit_and_hand_out_everything_once(limit: int) -> None:
    history = _history(20_000)
    pieces = list(HistoryCursor(history).deltas(limit))
    assert all(sum(len(ids) for ids, _ in p.points.values()) <= limit for p in pieces)
    assert len(pieces) >= -(-20_000 // limit)
    assert pieces[-1].through is None and all(p.through is not None for p in pieces[:-1])
    whole = HistoryCursor(history).delta()
    points, markers = _joined(pieces)
    assert points == {o: ids.tolist() for o, (ids, _) in whole.points.items()}
    assert markers == whole.markers == history.markers


def test_a_piece_completes_the_history_up_to_its_cut() -> None:
    history = _history(20_000)
    pieces = list(HistoryCursor(history).deltas(3000))
    cuts = [p.through for p in pieces[:-1]]
    assert cuts == sorted(cuts)
    for i, cut in enumerate(cuts):
        points, markers = _joined(pieces[: i + 1])
        assert sorted(itertools.chain(*points.values())) == list(range(1, cut + 1))
        assert markers == [m for m in history.markers if m.call_id <= cut]


def test_what_is_not_taken_comes_with_the_next_read() -> None:
    history = _history(10_000)
    cursor = HistoryCursor(history)
    first = next(cursor.deltas(1000))  # the rest stays in the history
    _history(5000, start=10_001, history=history)
    rest = list(cursor.deltas(1000))
    points, markers = _joined([first, *rest])
    assert sorted(itertools.chain(*points.values())) == list(range(1, 15_001))
    assert markers == history.markers
    assert not cursor.delta()


def test_ended_traces_are_unpacked_only_when_a_piece_reaches_them_and_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    unpacked = count_unpacks(monkeypatch)
    history = History()
    for opt_id in range(10):  # ten ended optimizers one after the other, 1,000 points each
        for call_id in range(opt_id * 1000 + 1, opt_id * 1000 + 1001):
            history.add_point(opt_id, call_id, float(call_id % 97))
        history.traces[opt_id].freeze()
    pieces = HistoryCursor(history).deltas(1500)  # a resumed session catching up
    first = next(pieces)
    assert sorted(first.points) == [0, 1] and [p.first_call for p in unpacked] == [1, 1001]
    rest = list(pieces)
    assert [p.first_call for p in unpacked] == [1 + 1000 * k for k in range(10)]  # once each
    points, _ = _joined([first, *rest])
    assert points == {k: list(range(k * 1000 + 1, k * 1000 + 1001)) for k in range(10)}
