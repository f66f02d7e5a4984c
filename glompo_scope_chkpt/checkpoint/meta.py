"""A checkpoint's ``meta.json``: its format, its size limit and the one parser that checks it.

``meta.json`` is read before anything is unpickled, also to sort a folder's checkpoints, so it is
untrusted input: :func:`parse_meta` accepts at most :data:`MAX_META_BYTES` and checks the type
and range of every field it knows. A field of the wrong shape (a string ``f_counter``, ``files``
that is not a mapping of SHA-256 digests, nesting deep enough to exhaust the parser, a number too
large for a 64-bit counter) makes the whole checkpoint damaged: one :class:`CheckpointLoadError`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..core.journal.format import HistoryMark
from ..errors import CheckpointLoadError

__all__ = ["FORMAT", "FORMAT_VERSION", "MAX_META_BYTES", "TASK_MODES", "damaged", "parse_meta"]

FORMAT = "glompo_scope_chkpt/checkpoint"
FORMAT_VERSION = 1
MAX_META_BYTES = 1 << 20
"""Largest ``meta.json`` read (1 MiB; a checkpoint writes a few hundred bytes)."""
TASK_MODES = ("pickled", "saved", "missing")
_MAX_COUNT = 2**63 - 1
_MAX_NAME = 255
_SHA256 = re.compile(r"[0-9a-f]{64}")


def damaged(archive: Path, why: str) -> CheckpointLoadError:
    """The error of a checkpoint that cannot be read as it is: truncated, altered, or not one."""
    return CheckpointLoadError(
        f"Checkpoint {archive} is damaged ({why}). It was probably truncated by a kill or altered; "
        f"load an earlier checkpoint from {archive.parent} instead."
    )


def _is_count(value: Any) -> bool:
    return type(value) is int and 0 <= value <= _MAX_COUNT


def _is_time(value: Any) -> bool:
    return type(value) in (int, float) and math.isfinite(value) and 0 <= value < 1e11


def _is_name(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value) <= _MAX_NAME and "\0" not in value


def _is_short_text(value: Any) -> bool:
    return isinstance(value, str) and len(value) <= _MAX_NAME


def _is_segment_list(value: Any) -> bool:
    return isinstance(value, list) and all(_is_count(item) for item in value)


def _is_name_list(value: Any) -> bool:
    return isinstance(value, list) and all(_is_name(item) for item in value)


def _is_history_mark(value: Any) -> bool:
    return HistoryMark.from_meta(value) is not None


def _is_file_table(value: Any) -> bool:
    return isinstance(value, dict) and all(
        isinstance(name, str) and isinstance(digest, str) and _SHA256.fullmatch(digest)
        for name, digest in value.items()
    )


_OPTIONAL: dict[str, tuple[Callable[[Any], bool], str]] = {
    "name": (_is_name, "a checkpoint name"),
    "key": (_is_short_text, "a run key"),
    "f_counter": (_is_count, "an evaluation count"),
    "created": (_is_time, "a time in seconds"),
    "package_version": (_is_short_text, "a version"),
    "state_version": (_is_count, "a version number"),
    "movie_segments": (_is_segment_list, "a list of segment numbers"),
    "lineage": (_is_name_list, "a list of checkpoint names"),
    "history": (_is_history_mark, "the sizes and SHA-256 digests of the history files"),
}
"""Fields a checkpoint writes; each may be absent, but when present must pass its check."""


def _decode(archive: Path, raw: bytes) -> Any:
    if len(raw) > MAX_META_BYTES:
        raise damaged(archive, f"meta.json exceeds {MAX_META_BYTES} bytes")
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as exc:  # RecursionError: nesting too deep
        raise damaged(archive, f"unreadable meta.json: {type(exc).__name__}") from exc


def parse_meta(archive: Path, raw: bytes | None) -> dict[str, Any]:
    """Parse and check the ``meta.json`` of ``archive``.

    Raises
    ------
    CheckpointLoadError
        If it is missing, too large, not JSON, not of this package, of another format version,
        or has a field of the wrong type or range.
    """
    if raw is None:
        raise damaged(archive, "no meta.json")
    meta = _decode(archive, raw)
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointLoadError(f"{archive} is not a glompo_scope_chkpt checkpoint.")
    version = meta.get("version")
    if type(version) is not int or version != FORMAT_VERSION:
        shown = repr(version)[:40]
        raise CheckpointLoadError(
            f"Checkpoint {archive} has format version {shown}; this version of "
            f"glompo_scope_chkpt reads version {FORMAT_VERSION}. Load it with the version that "
            "wrote it."
        )
    if meta.get("task") not in TASK_MODES:
        raise damaged(archive, f"meta.json's 'task' is not one of {', '.join(TASK_MODES)}")
    if not _is_file_table(meta.get("files")):
        raise damaged(archive, "meta.json's 'files' is not a table of SHA-256 digests")
    for field, (is_ok, kind) in _OPTIONAL.items():
        if field in meta and not is_ok(meta[field]):
            raise damaged(archive, f"meta.json's {field!r} is not {kind}")
    return meta
