"""``stitch-movies``: turn the movie segments of a run, or any movie files, into one movie.

Run ``stitch-movies --help`` (or ``python -m glompo_scope_chkpt.cli.stitch_movies --help``)
for the usage. This module runs the command and maps its errors to exit codes; the options are
:mod:`.stitch_args`, the listing :mod:`.stitch_listing`, the progress bar :mod:`.progress`.
Reading a run's segments is :mod:`glompo_scope_chkpt.movie.stitch.sources` and stitching is
:mod:`glompo_scope_chkpt.movie.stitch.run`, the same code the manager uses at the end of a run.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from .._run_files import SEGMENT_FOLDER
from .._tempfiles import remove_leftovers
from ..errors import FFmpegError, FFmpegNotFoundError, GloMPOError, StitchError
from ..movie.stitch.encoding import output_codec
from ..movie.stitch.plan import StitchReport, check_crf, check_output, incompatibility
from ..movie.stitch.run import stitch
from ..movie.stitch.sources import Sources, manifest_sources, probe_sources
from ..movie.video.video_info import VideoInfo
from .progress import progress_bar
from .stitch_args import PROG, UsageError, build_parser
from .stitch_listing import print_list

__all__ = ["main"]

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_NO_FFMPEG, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


def _sources(args: argparse.Namespace) -> Sources:
    if args.from_checkpoint is not None and args.include_superseded:
        raise UsageError("--from-checkpoint and --include-superseded cannot be combined")
    sources = [Path(s) for s in args.sources]
    single = sources[0] if len(sources) == 1 else None
    if single is not None and not single.exists():
        raise StitchError(f"{single} does not exist: give a run folder, a manifest or movie files.")
    if single is not None and (single.is_dir() or single.suffix.lower() == ".json"):
        return manifest_sources(single, args.output, args.from_checkpoint, args.include_superseded)
    if args.from_checkpoint is not None or args.include_superseded:
        raise UsageError("--from-checkpoint and --include-superseded need a run or a manifest")
    for source in sources:
        if source.is_dir():
            raise UsageError(f"{source} is a folder: give one run folder, or movie files only")
    if args.output is None and not (args.list or args.json):
        raise UsageError("give the movie to write with -o OUT when stitching movie files")
    return Sources(sources, [str(s) for s in sources], args.output)


def _preflight(output: Path, infos: list[VideoInfo], args: argparse.Namespace) -> None:
    try:
        check_crf(args.crf, output_codec(output, args.codec))
    except StitchError as exc:
        raise UsageError(f"--crf: {exc}") from exc
    check_output([i.path for i in infos], output, args.force)
    reason = incompatibility(infos, args.fps, args.size, output)
    if args.mode == "copy" and reason:
        raise StitchError(f"Cannot stream-copy: {reason}. Use --mode reencode (or auto).")


def _run(args: argparse.Namespace) -> int:
    sources = _sources(args)
    if args.list or args.json:
        print_list(sources, args.json)
        return EXIT_OK
    if not sources.files:
        raise StitchError("Nothing to stitch: the manifest lists no segment to stitch.")
    output = sources.output
    assert output is not None  # _sources refuses movie files without -o
    folders = [output.parent]
    if sources.manifest is not None:
        folders += [sources.manifest.folder, sources.manifest.folder / SEGMENT_FOLDER]
    remove_leftovers(folders)  # of stitches and runs that were killed
    infos, chapters = probe_sources(sources, args.skip_bad)
    _preflight(output, infos, args)
    try:
        with progress_bar(args.quiet) as progress:
            report = stitch(
                [i.path for i in infos], output, mode=args.mode, fps=args.fps, size=args.size,
                codec=args.codec, crf=args.crf, force=args.force, progress=progress,
                preset=args.preset, infos=infos, chapters=[] if args.no_chapters else chapters,
                threads=args.threads,
            )  # fmt: skip
    except FFmpegNotFoundError:
        raise
    except (StitchError, FFmpegError, OSError) as exc:  # OSError: e.g. the disk is full
        _error(exc)
        return EXIT_FAILED
    if not args.quiet:
        print(_summary(report, len(infos)))
    return EXIT_OK


def _summary(report: StitchReport, count: int) -> str:
    how = "stream copy" if report.mode_used == "copy" else "re-encoding"
    state = "verified" if report.verified else "NOT verified"
    return (
        f"Wrote {report.output} from {count} movie(s) by {how}: {state}, {report.frames} frames "
        f"(expected {report.expected_frames}), {report.duration:.2f} s "
        f"(expected {report.expected_duration:.2f} s), {report.size[0]}x{report.size[1]} at "
        f"{report.fps:g} fps."
    )


def _error(exc: BaseException) -> None:
    """Print ``exc`` as one line on stderr (ffmpeg's command is left out, its last words kept)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    text = lines[0] if lines else type(exc).__name__
    if isinstance(exc, FFmpegError) and len(lines) > 1:
        text += f" ({lines[-1]})"
    print(f"{PROG}: error: {text}", file=sys.stderr)


@contextlib.contextmanager
def _logging_to_stderr(quiet: bool, verbose: bool) -> Iterator[None]:
    """Show the package's log records on stderr while the command runs."""
    logger = logging.getLogger("glompo_scope_chkpt")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(f"{PROG}: %(levelname)s: %(message)s"))
    old_level = logger.level
    logger.setLevel(logging.ERROR if quiet else logging.INFO if verbose else logging.WARNING)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``stitch-movies`` with ``argv`` (default: the command line); return the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except UsageError as exc:
        _error(exc)
        return EXIT_BAD_INPUT
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    try:
        with _logging_to_stderr(args.quiet, args.verbose):
            return _run(args)
    except UsageError as exc:
        _error(exc)
        return EXIT_BAD_INPUT
    except FFmpegNotFoundError as exc:
        _error(exc)
        return EXIT_NO_FFMPEG
    except FFmpegError as exc:
        _error(exc)
        return EXIT_FAILED
    except BrokenPipeError:  # e.g. 'stitch-movies RUN --list | head'
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED
    except (GloMPOError, OSError) as exc:
        _error(exc)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted; nothing was written.", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
