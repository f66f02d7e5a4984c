"""The command line of ``stitch-movies``: its options, their checks and its help text."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from .. import __version__
from .._run_files import STITCH_FORMATS
from ..movie.stitch.plan import MODES

__all__ = ["PROG", "UsageError", "build_parser"]

PROG = "stitch-movies"

_EPILOG = """\
sources:
  WORKING_DIR          a run's working folder; its manifest is found in checkpoints/ (or in the
                       one sub-folder holding movie_manifest.json)
  CHECKPOINTING_DIR    the folder holding movie_manifest.json
  MANIFEST             the movie_manifest.json file itself
  A.mp4 B.mkv ...      any movie files, stitched in the given order (needs -o)

default output (manifest sources): the manifest's movie name (the run's movie_kwargs outfile)
in the working folder: WORKING_DIR when given, else the manifest's recorded working folder,
else the folder above the manifest's folder.

formats: .mp4 .m4v .mov .mkv .ts (stream copy when the segments match), .webm (VP9) and .gif
(a palette pass; --size and --fps make it smaller) are always re-encoded. MP4, MOV, MKV and
WebM movies get a chapter per session and per checkpoint (--no-chapters leaves them out);
movie files keep the chapters they carry.

timeline: the complete segments in recording order, plus the segments still marked
"recording" after them (a run that was killed and never resumed); such a segment that never
received a frame (a kill right after a checkpoint) is left out with a note, and so is a
segment ended at a checkpoint that the renderer never finished (it lags behind the run; the
note names the evaluations it covers: resume the run, or run 'glompo-scope-chkpt render
RUN_DIR', to draw them). Superseded
segments (recorded past a checkpoint a later session resumed from) are left out unless
--include-superseded.

exit codes:
  0    the movie was written and verified
  1    stitching failed, or the result did not verify (the output was not written)
  2    usage error or bad input: missing/unreadable segment or manifest, nothing left to
       stitch (every segment left out, with the notes), output exists
       (without --force), output is an input, copy mode on incompatible segments
  3    no ffmpeg binary was found
  130  interrupted (the output was not written)
"""


class UsageError(Exception):
    """A command line the program cannot act on."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message} (see {PROG} --help)")


def _size(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"\s*(\d+)\s*[xX:]\s*(\d+)\s*", text)
    if not match or min(int(match[1]), int(match[2])) <= 0:
        raise argparse.ArgumentTypeError(f"size must look like 1200x800, got {text!r}")
    return int(match[1]), int(match[2])


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a number > 0, got {text!r}")
    return value


def _crf(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 63:
        raise argparse.ArgumentTypeError(f"must be an integer from 0 to 63, got {text!r}")
    return value


def _count(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {text!r}")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Stitch the movie segments of an optimization (or any movie files) into one "
        "movie, by stream copy when they are compatible, else by re-encoding; the result is "
        "verified before it is moved into place.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = parser.add_argument
    add("sources", nargs="+", metavar="SOURCE", help="WORKING_DIR, CHECKPOINTING_DIR, MANIFEST, "
        "or movie files (see below)")  # fmt: skip
    add("-o", "--output", type=Path, help=f"movie to write ({', '.join(STITCH_FORMATS)})")
    add(
        "--from-checkpoint",
        metavar="NAME",
        help="stitch the timeline as it stood at checkpoint NAME",
    )
    add("--include-superseded", action="store_true", help="stitch every segment, superseded "
        "ones too, in recording order")  # fmt: skip
    add("--list", action="store_true", help="list the segments instead of stitching")
    add("--json", action="store_true", help="list the segments as JSON")
    add("--mode", choices=MODES, default="auto", help="auto (default), copy or reencode")
    add("--fps", type=_positive, help="output frame rate (re-encodes if it differs)")
    add("--size", type=_size, metavar="WxH", help="output size, e.g. 1200x800 (re-encodes)")
    add("--crf", type=_crf, default=20, help="re-encoding quality, lower is better (default 20)")
    add("--codec", help="re-encoding codec (default libx264; libvpx-vp9 for .webm, gif for .gif)")
    add("--threads", type=_count, help="encoder threads (default: every CPU the job has)")
    add("--no-chapters", action="store_true", help="write no chapters")
    add("--preset", default="veryfast", help="x264/x265 preset for re-encoding (default veryfast)")
    add("--force", action="store_true", help="replace an existing output (once verified)")
    add(
        "--skip-bad",
        action="store_true",
        help="skip missing, unreadable or altered (checksum) segments with a warning",
    )
    add("-q", "--quiet", action="store_true", help="print errors only; no progress bar")
    add("-v", "--verbose", action="store_true", help="also print what is being done")
    add("--version", action="version", version=f"{PROG} {__version__}")
    return parser
