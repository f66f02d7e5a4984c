"""The paths a movie manifest may hold: each confined to the run folder.

A manifest is read from disk and may have been damaged or written by someone else, yet its paths
decide which files are read and where the stitched movie is written. So every path in it is
relative, POSIX style, free of NUL bytes and backslashes, at most :data:`MAX_PATH` characters
long with no component over :data:`MAX_COMPONENT` bytes, and:

segment ``path``
    inside the manifest's folder: no ``..`` at all;
``outfile``
    a plain file name: no folder, not ``.`` or ``..``;
``working_dir``
    inside the *run folder*, the folder above the manifest's folder (where the manager puts its
    checkpointing folder, ``checkpoints``, by default): ``..`` may only come first, once. So
    ``..`` (the usual), ``.``, ``sub`` and ``../other`` pass, ``../..`` does not. A run whose
    working folder lies elsewhere records no ``working_dir`` (see :func:`working_dir_entry`);
    ``stitch-movies`` then writes beside the checkpointing folder unless given the folder.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

__all__ = [
    "MAX_COMPONENT",
    "MAX_PATH",
    "outfile_problem",
    "segment_path_problem",
    "working_dir_entry",
    "working_dir_problem",
]

MAX_PATH = 4096
"""Longest path accepted, in characters (Linux's ``PATH_MAX``)."""
MAX_COMPONENT = 255
"""Longest file or folder name accepted, in UTF-8 bytes (Linux's ``NAME_MAX``)."""


_OUTSIDE_FOLDER = "not inside the manifest's folder"
_OUTSIDE_RUN = "not inside the run folder (the folder above the manifest's)"


def _parts(path: Any, outside: str) -> tuple[list[str] | None, str | None]:
    """The names of the relative POSIX path ``path`` (without ``.``), or why it is none.

    ``outside`` says where an absolute path would lead.

    Plain string operations: a manifest of 50,000 segments checks each path in microseconds.
    """
    if not isinstance(path, str) or not path:
        return None, "is not a non-empty string"
    if len(path) > MAX_PATH:
        return None, f"is longer than {MAX_PATH} characters"
    if "\0" in path or "\\" in path:
        return None, "holds a NUL byte or a backslash"
    if path.startswith("/"):
        return None, f"is absolute, {outside}"
    parts = [part for part in path.split("/") if part not in ("", ".")]
    if any(len(part) > MAX_COMPONENT // 4 and _too_long(part) for part in parts):
        return None, f"has a name longer than {MAX_COMPONENT} bytes"
    return parts, None


def _too_long(name: str) -> bool:
    return len(name.encode("utf-8", "surrogatepass")) > MAX_COMPONENT


def segment_path_problem(path: Any) -> str | None:
    """Why ``path`` is not a segment path inside the manifest's folder, or None if it is."""
    parts, problem = _parts(path, _OUTSIDE_FOLDER)
    if parts is not None and (not parts or ".." in parts):
        problem = f"is {_OUTSIDE_FOLDER}"
    return problem


def outfile_problem(name: Any) -> str | None:
    """Why ``name`` is not a plain file name for the stitched movie, or None if it is."""
    parts, problem = _parts(name, _OUTSIDE_RUN)
    if (parts is not None and parts != [name]) or name == "..":
        problem = problem or "is not a plain file name"
    return problem


def working_dir_problem(path: Any) -> str | None:
    """Why ``path`` is not a working folder inside the run folder, or None if it is."""
    parts, problem = _parts(path, _OUTSIDE_RUN)
    if parts is not None and ".." in parts[1:]:
        problem = f"is {_OUTSIDE_RUN}"
    return problem


def working_dir_entry(working_dir: Path, manifest_folder: Path) -> str | None:
    """``working_dir`` as a manifest records it: relative to ``manifest_folder``, if confined.

    Returns
    -------
    str or None
        The relative POSIX path, or None when the working folder lies outside the run folder
        (then no ``working_dir`` is recorded).
    """
    relative = Path(os.path.relpath(working_dir, manifest_folder)).as_posix()
    return None if working_dir_problem(relative) else relative
