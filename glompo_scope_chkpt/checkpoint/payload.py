"""What a checkpoint's pickle holds: dumped fast, loaded only after its version and types check.

The payload is ``{"settings": ManagerSettings, "state": RunState, "elapsed": float}``. Its state
version is also written to the archive's ``meta.json``, so a checkpoint of another version is
refused with both versions named *before* anything is unpickled (unpickling it could fail in
confusing ways once classes have moved).
"""

from __future__ import annotations

import io
import math
import pickle
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dill

from .. import __version__
from ..core.history import History
from ..core.journal import HistoryMark
from ..core.settings import ManagerSettings
from ..core.state import STATE_VERSION, CheckpointRecord, RunState
from ..errors import CheckpointLoadError
from .archive import CheckpointContents

__all__ = ["SavedRun", "dumps_state", "loads_run"]


class _ImportablePickler(pickle.Pickler):
    """The standard pickler, refusing what only dill can restore in another process."""

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, (type, types.FunctionType)) and obj.__module__ == "__main__":
            raise pickle.PicklingError(f"{obj!r} lives in __main__")
        return NotImplemented


def dumps_state(obj: Any) -> bytes:
    """Pickle ``obj`` with the fast standard pickler, or with dill when that is needed.

    The standard pickler is ~10x faster on optimizer state; dill handles lambdas, closures and
    classes defined in ``__main__`` by value. ``dill.loads`` reads either.
    """
    buffer = io.BytesIO()
    try:
        _ImportablePickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(obj)
    except Exception:
        return dill.dumps(obj)
    return buffer.getvalue()


@dataclass(frozen=True)
class SavedRun:
    """A checkpoint's payload, checked: the run's settings, its state and its elapsed time."""

    settings: ManagerSettings
    state: RunState
    elapsed: float


def _check_version(archive: Path, meta: dict[str, Any]) -> None:
    found = meta.get("state_version", 1)
    if found == STATE_VERSION:
        return
    written_by = meta.get("package_version")
    by = "an unknown version" if written_by is None else f"glompo_scope_chkpt {written_by}"
    age = "older" if found < STATE_VERSION else "newer"
    if written_by is None or written_by == __version__:
        todo = "resume it with the build of glompo_scope_chkpt that wrote it"
    else:
        todo = f"resume it with glompo_scope_chkpt {written_by}"
    raise CheckpointLoadError(
        f"Checkpoint {archive} was written by {by} (state version {found}); this is "
        f"glompo_scope_chkpt {__version__} (state version {STATE_VERSION}), which reads its own "
        f"state version only, and the checkpoint's is {age}. To continue that run, {todo}; or "
        "start the optimization anew."
    )


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _shape_problem(saved: Any) -> str | None:
    """What makes an unpickled payload not a run of this package, or None if it is one."""
    if not isinstance(saved, dict):
        return f"a {type(saved).__name__}, not a mapping"
    settings, state, elapsed = (saved.get(k) for k in ("settings", "state", "elapsed"))
    if not isinstance(settings, ManagerSettings) or not isinstance(state, RunState):
        return "no valid settings and state"
    if isinstance(elapsed, bool) or not isinstance(elapsed, (int, float)):
        return "no elapsed time"
    if not math.isfinite(elapsed) or elapsed < 0:
        return f"an elapsed time of {elapsed!r}"
    if not isinstance(settings.working_dir, Path) or not isinstance(
        getattr(settings.checkpoint_control, "checkpointing_dir", None), Path
    ):
        return "settings without their folders"
    if not isinstance(state.key, str) or not _is_count(state.f_counter):
        return "a state without a key or an evaluation count"
    if not isinstance(state.history, History) or not all(
        isinstance(c, CheckpointRecord) for c in state.checkpoints
    ):
        return "a state without its history or checkpoint records"
    if not isinstance(state.history_mark, HistoryMark):
        return "a state without the mark of its history files"
    if not isinstance(state.movie_segments, list) or not all(
        _is_count(i) for i in state.movie_segments
    ):
        return "a state with a malformed list of movie segments"
    return None


def _check_against_meta(archive: Path, meta: dict[str, Any], state: RunState) -> None:
    """The metadata describe this state: its name, version, count, key and movie segments."""
    assert state.history_mark is not None  # checked by _shape_problem
    if not isinstance(meta.get("name"), str):
        raise CheckpointLoadError(
            f"Checkpoint {archive} has no name in its metadata; it was altered or written by "
            "another program. Load an earlier checkpoint instead."
        )
    last = state.checkpoints[-1].name if state.checkpoints else meta["name"]
    stated = {
        "state version": (meta.get("state_version", 1), state.version),
        "f_counter": (meta.get("f_counter", state.f_counter), state.f_counter),
        "key": (meta.get("key", state.key), state.key),
        "name": (meta["name"], last),
        "movie segments": (meta.get("movie_segments", state.movie_segments), state.movie_segments),
        "history mark": (meta.get("history"), state.history_mark.as_meta()),
    }
    for what, (in_meta, in_state) in stated.items():
        if in_meta != in_state:
            raise CheckpointLoadError(
                f"Checkpoint {archive} holds {what} {in_state!r:.80}, but its metadata says "
                f"{in_meta!r:.80}; it was altered. Load an earlier one."
            )


def loads_run(archive: Path, contents: CheckpointContents) -> SavedRun:
    """Unpickle and check the payload of the checkpoint ``archive``.

    Loading unpickles: only load checkpoints from a source you trust.

    Raises
    ------
    CheckpointLoadError
        If the checkpoint is of another state version, cannot be unpickled, holds something
        other than a run of this package, or a run its metadata do not describe.
    """
    _check_version(archive, contents.meta)
    try:
        saved = dill.loads(contents.payload)
    except Exception as exc:  # unpickling runs arbitrary code: any error means unreadable
        raise CheckpointLoadError(
            f"Checkpoint {archive} could not be unpickled ({exc!r:.300}); the classes it refers "
            "to (optimizers, task, checkers) must be importable."
        ) from exc
    problem = _shape_problem(saved)
    if problem is not None:
        raise CheckpointLoadError(
            f"Checkpoint {archive} does not hold a run of glompo_scope_chkpt (its payload is "
            f"{problem}); it was altered or written by another program. Load an earlier "
            "checkpoint instead."
        )
    _check_against_meta(archive, contents.meta, saved["state"])
    return SavedRun(saved["settings"], saved["state"], float(saved["elapsed"]))
