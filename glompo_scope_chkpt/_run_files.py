"""The name of every file and folder a run writes, defined once.

In the working directory: the HDF5 log with its undo journal and the rollback files beside it,
the YAML summary and the trajectory plots, the result of ``glompo-scope-chkpt run``, the
stitched movie and its last picture. In the checkpointing directory (``checkpoints`` in the
working directory unless the user names another): the checkpoint archives, the movie manifest,
the folder of movie segments and the run's append-only history files. Every module that writes,
reads, lists or removes one of these files takes its name from here.
"""

from __future__ import annotations

from pathlib import PurePath

__all__ = [
    "ARCHIVE_SUFFIX",
    "CHECKPOINT_FOLDER",
    "CHECKPOINT_REQUEST",
    "DEFAULT_MOVIE",
    "HISTORY_FILES",
    "HISTORY_MARKERS_FILENAME",
    "HISTORY_MEMBER_FOLDER",
    "HISTORY_POINTS_FILENAME",
    "LOG_FILENAME",
    "MANIFEST_FILENAME",
    "MOVIE_FORMATS",
    "OUTPUT_FILES",
    "PLAYLIST_FILENAME",
    "RESULT_FILENAME",
    "ROLLBACK_GLOB",
    "history_aside_name",
    "SEGMENT_FOLDER",
    "SEGMENT_FORMAT",
    "SEGMENT_SUFFIX",
    "STOP_PREFIX",
    "STITCH_FORMATS",
    "SUMMARY_FILENAME",
    "TRAJECTORY_BEST_FILENAME",
    "TRAJECTORY_FILENAME",
    "rollback_name",
    "segment_name",
    "still_name",
    "undo_name",
]

# ------------------------------------------------------------------------- working directory
LOG_FILENAME = "glompo_log.h5"
"""The HDF5 log (``summary_files=3``)."""
SUMMARY_FILENAME = "glompo_manager_log.yml"
"""The YAML summary (``summary_files >= 1``)."""
TRAJECTORY_FILENAME = "trajectories.png"
"""Every optimizer's function values (``summary_files >= 2``)."""
TRAJECTORY_BEST_FILENAME = "trajectories_best.png"
"""Every optimizer's best value so far (``summary_files >= 2``)."""
RESULT_FILENAME = "glompo_result.json"
"""The outcome recorded by ``glompo-scope-chkpt run``."""


CHECKPOINT_REQUEST = "CHKPT"
"""A file the user creates to ask the running session for a checkpoint."""
STOP_PREFIX = "STOP_"
"""``STOP_<opt_id>``: a file the user creates to stop that optimizer."""


def undo_name(log: PurePath) -> str:
    """Name of the undo journal beside ``log``: the old bytes of a write in progress."""
    return f"{log.name}.undo"


OUTPUT_FILES = (
    LOG_FILENAME,
    undo_name(PurePath(LOG_FILENAME)),
    SUMMARY_FILENAME,
    TRAJECTORY_FILENAME,
    TRAJECTORY_BEST_FILENAME,
)
"""The files a run writes in its working directory under fixed names (the movie aside)."""

DEFAULT_MOVIE = "glomporecording.mp4"
"""The stitched movie unless ``movie_kwargs['outfile']`` names another."""
STITCH_FORMATS: dict[str, tuple[str, str | None]] = {
    ".mp4": ("mp4", None),
    ".m4v": ("mp4", None),
    ".mov": ("mov", None),
    ".mkv": ("matroska", None),
    ".ts": ("mpegts", None),
    ".webm": ("webm", "libvpx-vp9"),
    ".gif": ("gif", "gif"),
}
"""Suffixes a stitched movie may have: the ffmpeg muxer each selects, and the encoder it needs.

``None``: the segments' H.264 fits, so they may be stream-copied. The others (for sharing: WebM
plays in every browser, a GIF anywhere) are always re-encoded with their encoder.
"""
MOVIE_FORMATS = {suffix: muxer for suffix, (muxer, needs) in STITCH_FORMATS.items() if not needs}
"""Suffixes the recorded movie (``movie_kwargs['outfile']``) may have, and each one's muxer."""

_ROLLBACK_MARK = ".rollback-"


def rollback_name(log: PurePath, checkpoint: str, copy: int = 0) -> str:
    """Name of the file keeping the rows of ``log`` rolled back to ``checkpoint``.

    ``<log stem>.rollback-<checkpoint>.h5``; ``copy`` > 0 inserts ``.<copy>`` before the suffix,
    for a checkpoint resumed from more than once.
    """
    number = f".{copy}" if copy else ""
    return f"{log.stem}{_ROLLBACK_MARK}{checkpoint}{number}{log.suffix}"


ROLLBACK_GLOB = rollback_name(PurePath(LOG_FILENAME), "*")
"""Pattern of the rollback files of the log in the working directory."""


def still_name(outfile: str) -> str:
    """Name of the last picture of the scope, saved beside the movie ``outfile``."""
    return f"{PurePath(outfile).stem}_final.png"


# --------------------------------------------------------------------- checkpointing directory
CHECKPOINT_FOLDER = "checkpoints"
"""The checkpointing directory when none is given (in the working directory)."""
ARCHIVE_SUFFIX = ".tar.gz"
"""Ending of a checkpoint file: ``<name>.tar.gz``."""
MANIFEST_FILENAME = "movie_manifest.json"
"""The movie manifest, in the checkpointing directory."""
PLAYLIST_FILENAME = "movie.m3u8"
"""The live HLS playlist of the movie's timeline, beside the manifest."""
SEGMENT_FOLDER = "segments"
"""Folder of the movie segments, in the checkpointing directory beside the manifest."""
SEGMENT_SUFFIX = ".ts"
"""Ending of a movie segment file."""
SEGMENT_FORMAT = MOVIE_FORMATS[SEGMENT_SUFFIX]
"""The container of the movie segments (MPEG-TS: a segment cut by a kill still plays)."""


def segment_name(stem: str, index: int, label: str) -> str:
    """Name of movie segment ``index``: ``<movie stem>.<index, 4 digits>.<label>.ts``.

    ``label`` says what closed the segment (``chk_<checkpoint>``, ``final``) or ``recording``;
    ``"*"`` gives the pattern of the segment whatever its label.
    """
    return f"{stem}.{index:04d}.{label}{SEGMENT_SUFFIX}"


HISTORY_POINTS_FILENAME = "history_points.bin"
"""Every evaluated point, appended as it is processed, in the checkpointing directory."""
HISTORY_MARKERS_FILENAME = "history_markers.jsonl"
"""Every marker (kill, convergence, crash, checkpoint, resume), one JSON line each, beside it."""
HISTORY_FILES = (HISTORY_POINTS_FILENAME, HISTORY_MARKERS_FILENAME)
"""The history files, points first."""
HISTORY_MEMBER_FOLDER = "history"
"""Folder, inside a self-contained checkpoint archive, holding its prefix of the history files."""
_ASIDE_MARK = ".aside-"


def history_aside_name(file: str, label: str, copy: int = 0) -> str:
    """Name of the file keeping the records of history ``file`` moved aside on resuming ``label``.

    ``<file stem>.aside-<label><suffix>``; ``copy`` > 0 inserts ``.<copy>`` before the suffix, for
    a checkpoint resumed from more than once.
    """
    path = PurePath(file)
    number = f".{copy}" if copy else ""
    return f"{path.stem}{_ASIDE_MARK}{label}{number}{path.suffix}"
