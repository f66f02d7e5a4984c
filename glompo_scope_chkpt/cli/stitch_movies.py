"""``stitch-movies``: turn the movie segments of a run, or any movie files, into one movie.

Run ``stitch-movies --help`` (or ``python -m glompo_scope_chkpt.cli.stitch_movies --help``)
for the usage.
The probing and stitching are :mod:`glompo_scope_chkpt.movie.probe` and
:mod:`glompo_scope_chkpt.movie.stitch`, the same code the manager uses at the end of a run.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .. import __version__
from .._run_files import CHECKPOINT_FOLDER, MOVIE_FORMATS, SEGMENT_FOLDER
from .._tempfiles import remove_leftovers
from ..errors import FFmpegError, FFmpegNotFoundError, GloMPOError, ManifestError, StitchError
from ..movie.manifest import Manifest
from ..movie.probe import probe, sha256_file
from ..movie.segment_record import SegmentRecord
from ..movie.stitch import stitch
from ..movie.stitch_plan import MODES, StitchReport, check_crf, check_output, incompatibility
from ..movie.video_info import VideoInfo

__all__ = ["main"]

PROG = "stitch-movies"
_log = logging.getLogger("glompo_scope_chkpt.cli.stitch_movies")

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_NO_FFMPEG, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

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

timeline: the complete segments in recording order, plus the segments still marked
"recording" after them (a run that was killed and never resumed). Superseded segments (recorded
past a checkpoint a later session resumed from) are left out unless --include-superseded.

exit codes:
  0    the movie was written and verified
  1    stitching failed, or the result did not verify (the output was not written)
  2    usage error or bad input: missing/unreadable segment or manifest, output exists
       (without --force), output is an input, copy mode on incompatible segments
  3    no ffmpeg binary was found
  130  interrupted (the output was not written)
"""


class _UsageError(Exception):
    """A command line the program cannot act on."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise _UsageError(f"{message} (see {PROG} --help)")


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


def _build_parser() -> argparse.ArgumentParser:
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
    add("-o", "--output", type=Path, help=f"movie to write ({', '.join(MOVIE_FORMATS)})")
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
    add("--codec", default="libx264", help="re-encoding codec (default libx264)")
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


@dataclass
class _Plan:
    """What the command line asks for, resolved against the disk."""

    files: list[Path]
    labels: list[str]
    output: Path | None
    manifest: Manifest | None = None
    records: list[SegmentRecord] = field(default_factory=list)


def _find_manifest(source: Path) -> tuple[Path, Path | None]:
    """Return (manifest file, working folder if ``source`` was one)."""
    if source.is_file():
        return source, None
    if not source.is_dir():
        raise ManifestError(f"{source} does not exist: give a run folder, a manifest or movies.")
    if (source / Manifest.FILENAME).is_file():
        return source / Manifest.FILENAME, None
    if (source / CHECKPOINT_FOLDER / Manifest.FILENAME).is_file():
        return source / CHECKPOINT_FOLDER / Manifest.FILENAME, source
    found = sorted(source.glob(f"*/{Manifest.FILENAME}"))
    if len(found) == 1:
        return found[0], source
    what = "several: " + ", ".join(map(str, found)) if found else f"no {Manifest.FILENAME}"
    raise ManifestError(f"{source} holds {what}; give the manifest file (or its folder).")


def _default_output(manifest: Manifest, working: Path | None) -> Path:
    if working is None and manifest.working_dir is not None:
        working = (manifest.folder / manifest.working_dir).resolve()
    return (working or manifest.folder.resolve().parent) / manifest.outfile


def _select(manifest: Manifest, args: argparse.Namespace) -> list[SegmentRecord]:
    if args.from_checkpoint is not None:
        return manifest.timeline_at(args.from_checkpoint)
    if args.include_superseded:
        return sorted(manifest.segments, key=lambda r: r.index)
    chosen = manifest.timeline(include_recording=True)
    for record in chosen:
        if record.status == "recording":
            _log.warning(
                "segment %d (%s) was still recording when its run stopped: including it",
                record.index,
                record.path,
            )
    return chosen


def _plan(args: argparse.Namespace) -> _Plan:
    if args.from_checkpoint is not None and args.include_superseded:
        raise _UsageError("--from-checkpoint and --include-superseded cannot be combined")
    try:
        check_crf(args.crf, args.codec)
    except StitchError as exc:
        raise _UsageError(f"--crf: {exc}") from exc
    sources = [Path(s) for s in args.sources]
    single = sources[0] if len(sources) == 1 else None
    if single is not None and not single.exists():
        raise StitchError(f"{single} does not exist: give a run folder, a manifest or movie files.")
    if single is not None and (single.is_dir() or single.suffix.lower() == ".json"):
        manifest_file, working = _find_manifest(single)
        manifest = Manifest.load(manifest_file)
        records = _select(manifest, args)
        files = [manifest.absolute(r) for r in records]
        labels = [f"segment {r.index} of {manifest.path}" for r in records]
        output = args.output or _default_output(manifest, working)
        return _Plan(files, labels, output, manifest, records)
    if args.from_checkpoint is not None or args.include_superseded:
        raise _UsageError("--from-checkpoint and --include-superseded need a run or a manifest")
    for source in sources:
        if source.is_dir():
            raise _UsageError(f"{source} is a folder: give one run folder, or movie files only")
    if args.output is None and not (args.list or args.json):
        raise _UsageError("give the movie to write with -o OUT when stitching movie files")
    return _Plan(sources, [str(s) for s in sources], args.output)


def _check_record(record: SegmentRecord | None, info: VideoInfo, label: str) -> None:
    """Check a segment's file against its manifest entry: its frames, size and SHA-256."""
    if record is None or record.status == "recording":
        return
    listed = record.video
    if listed is not None and (info.frames, info.size) != (listed.frames, listed.size):
        raise StitchError(
            f"Movie segment {info.path} ({label}) has {info.frames} frames of "
            f"{info.width}x{info.height}, the manifest says {listed.frames} of "
            f"{listed.width}x{listed.height}: it was changed or damaged."
        )
    if record.sha256 is not None and sha256_file(info.path) != record.sha256:
        raise StitchError(
            f"Movie segment {info.path} ({label}) does not match the SHA-256 the manifest lists "
            "for it: it was changed, damaged or swapped with another segment."
        )


def _probe_all(plan: _Plan, skip_bad: bool) -> list[VideoInfo]:
    """Probe every input; skip the bad ones with a warning under ``skip_bad``."""
    infos: list[VideoInfo] = []
    records: list[SegmentRecord | None] = list(plan.records) or [None] * len(plan.files)
    for file, label, record in zip(plan.files, plan.labels, records, strict=True):
        try:
            info = probe(file)
            _check_record(record, info, label)
        except StitchError as exc:
            if not skip_bad:
                raise StitchError(f"{exc} Pass --skip-bad to stitch without it.") from exc
            _log.warning("skipping %s: %s", label, exc)
            continue
        infos.append(info)
    if not infos:
        raise StitchError("Nothing to stitch: no usable movie segment was found.")
    return infos


def _fmt(value: object, pattern: str = "{}") -> str:
    return "-" if value is None else pattern.format(value)


def _media_row(file: Path) -> dict[str, object]:
    """Probe results for the listing of a segment the manifest has none for ({} if unreadable)."""
    try:
        info = probe(file)
    except StitchError:
        return {}
    return {"frames": info.frames, "width": info.width, "height": info.height,
            "fps": info.fps, "duration": info.duration}  # fmt: skip


def _list_rows(plan: _Plan, args: argparse.Namespace) -> list[dict[str, object]]:
    """One row per segment (manifest) or per file (movie files), as plain data."""
    if plan.manifest is not None:
        chosen = {r.index for r in plan.records}
        rows = []
        for record in sorted(plan.manifest.segments, key=lambda r: r.index):
            row: dict[str, object] = record.to_dict()
            row["selected"] = record.index in chosen
            file = plan.manifest.absolute(record)
            row["exists"] = file.is_file()
            if record.video is None and row["exists"]:
                row.update(_media_row(file))  # e.g. a segment still recording
            rows.append(row)
        return rows
    rows = []
    for number, file in enumerate(plan.files, start=1):
        probe(file)  # a bad file is an error here, as when stitching
        row = {"index": number, "path": str(file), "status": "file", **_media_row(file)}
        rows.append({**row, "selected": True, "exists": True})
    return rows


def _print_list(plan: _Plan, args: argparse.Namespace) -> None:
    rows = _list_rows(plan, args)
    if args.json:
        data = {
            "manifest": str(plan.manifest.path) if plan.manifest else None,
            "output": str(plan.output) if plan.output else None,
            "segments": rows,
        }
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return
    header = f"{'':1} {'index':>5}  {'status':<10} {'frames':>7}  {'size':>9}  {'fps':>6}  "
    print(header + f"{'duration':>9}  path")
    for row in rows:
        size = "-" if row.get("width") is None else f"{row['width']}x{row['height']}"
        path = str(row["path"]) + ("" if row["exists"] else "  (missing)")
        print(
            f"{'*' if row['selected'] else ' '} {row['index']:>5}  {row['status']:<10} "
            f"{_fmt(row.get('frames')):>7}  {size:>9}  {_fmt(row.get('fps'), '{:g}'):>6}  "
            f"{_fmt(row.get('duration'), '{:.2f} s'):>9}  {path}"
        )
    if plan.manifest is not None:
        print(f"* = stitched by this command; output: {plan.output}")


_BAR = "{desc}: {percentage:3.0f}%|{bar}| {elapsed}<{remaining}"


@contextlib.contextmanager
def _progress_bar(quiet: bool) -> Iterator[Callable[[float], None]]:
    """Yield a progress callback drawing a tqdm bar, created at the first partial fraction."""
    state: dict[str, object] = {}

    def update(fraction: float) -> None:
        bar = state.get("bar")
        if bar is None:
            if quiet or fraction >= 1.0:
                return
            from tqdm import tqdm

            bar = state["bar"] = tqdm(
                total=1000, desc="re-encoding", file=sys.stderr, bar_format=_BAR
            )
        bar.update(int(fraction * 1000) - bar.n)  # type: ignore[attr-defined]

    try:
        yield update
    finally:
        if state.get("bar") is not None:
            state["bar"].close()  # type: ignore[attr-defined]


def _preflight(plan: _Plan, infos: list[VideoInfo], args: argparse.Namespace) -> None:
    assert plan.output is not None
    check_output([i.path for i in infos], plan.output, args.force)
    reason = incompatibility(infos, args.fps, args.size)
    if args.mode == "copy" and reason:
        raise StitchError(f"Cannot stream-copy: {reason}. Use --mode reencode (or auto).")


def _run(args: argparse.Namespace) -> int:
    plan = _plan(args)
    if args.list or args.json:
        _print_list(plan, args)
        return EXIT_OK
    if not plan.files:
        raise StitchError("Nothing to stitch: the manifest lists no segment to stitch.")
    assert plan.output is not None
    folders = [plan.output.parent]
    if plan.manifest is not None:
        folders += [plan.manifest.folder, plan.manifest.folder / SEGMENT_FOLDER]
    remove_leftovers(folders)  # of stitches and runs that were killed
    infos = _probe_all(plan, args.skip_bad)
    _preflight(plan, infos, args)
    try:
        with _progress_bar(args.quiet) as progress:
            report = stitch(
                [i.path for i in infos], plan.output, mode=args.mode, fps=args.fps,
                size=args.size, codec=args.codec, crf=args.crf, force=args.force,
                progress=progress, preset=args.preset, infos=infos,
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
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
    except _UsageError as exc:
        _error(exc)
        return EXIT_BAD_INPUT
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    try:
        with _logging_to_stderr(args.quiet, args.verbose):
            return _run(args)
    except _UsageError as exc:
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
