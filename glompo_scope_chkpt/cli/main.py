"""``glompo-scope-chkpt``: the demo, running in a batch job, a look inside checkpoints, a report.

Exit codes: 0 success, 1 failure of the run or of reading a file, 2 usage error; ``run`` also
75 (interrupted after a checkpoint: run it again to resume) and 130 (stopped by Ctrl-C).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .. import __version__
from .._run_files import (
    CHECKPOINT_FOLDER,
    DEFAULT_MOVIE,
    LOG_FILENAME,
    MANIFEST_FILENAME,
    SEGMENT_FOLDER,
    SUMMARY_FILENAME,
    still_name,
)
from ..errors import GloMPOError, InvalidSettingError

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="glompo-scope-chkpt",
        description="Managed parallel optimization with visualization-aware checkpoints.",
        epilog="Exit codes: 0 success, 1 run or file failure, 2 usage error; run: 75 "
        "interrupted after a checkpoint (run it again to resume), 130 stopped by Ctrl-C.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser(
        "demo",
        help="run the bundled demo: record, get interrupted, resume, stitch one movie",
    )
    demo.add_argument("folder", nargs="?", default="glompo_demo", help="output folder")
    demo.add_argument("--evaluations", type=int, default=12_000, help="total evaluations")
    demo.add_argument("--wall-time", type=float, default=6.0, help="seconds of session 1")
    demo.add_argument("--quick", action="store_true", help="smaller, faster movie")
    run = sub.add_parser(
        "run",
        help="start an optimization, or resume it from its newest checkpoint (for batch jobs)",
        description="Start the optimization a Python file describes, or resume it from the "
        "newest good checkpoint; SIGUSR1/SIGTERM/Ctrl-C checkpoint and stop it. Exit 0: it has "
        "ended; 75: interrupted after a checkpoint, run again (requeue) to resume; 130: stopped "
        "by Ctrl-C, run again to resume; 1: it failed; 2: bad command line or optimization file.",
    )
    run.add_argument(
        "spec",
        nargs="?",
        type=Path,
        help="file defining new_manager(working_dir, checkpointing_dir) "
        "(default: a built-in Rastrigin example)",
    )
    run.add_argument("--working-dir", type=Path, default=Path("glompo_run"), help="outputs")
    run.add_argument(
        "--checkpointing-dir", type=Path, help="checkpoints (default: <working-dir>/checkpoints)"
    )
    from .render import add_render_parser

    add_render_parser(sub)
    inspect = sub.add_parser("inspect", help="list the checkpoints of a folder, or show one")
    inspect.add_argument("path", help="a checkpoint (.tar.gz) or a checkpointing folder")
    inspect.add_argument("--json", action="store_true", help="print JSON")
    report = sub.add_parser(
        "report",
        help="write one self-contained HTML page about a run (movie, timeline, optimizers)",
        description="Write one HTML file about the run in RUN_DIR (its working folder): the "
        "movie with chapter links, the timeline of sessions and checkpoints, the optimizers "
        "of the log, the result and the trajectory plots. It opens without a server or network.",
    )
    report.add_argument("run_dir", type=Path, help="the run's working folder")
    report.add_argument("-o", "--output", type=Path, help="the page (default: RUN_DIR/report.html)")
    report.add_argument(
        "--embed-movie", action="store_true", help="embed the movie whatever its size"
    )
    return parser


def _demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    outcome = run_demo(args.folder, args.evaluations, args.wall_time, args.quick)
    folder = outcome.folder
    print(f"Session 1 was interrupted after {outcome.first_session_evaluations} evaluations,")
    print(
        f"session 2 resumed and finished at {outcome.evaluations} (best f = {outcome.best_fx:.6g})."
    )
    print(f"movie        {outcome.movie}  ({outcome.frames} frames, both sessions)")
    checkpoints = folder / CHECKPOINT_FOLDER
    print(f"last frame   {folder / still_name(DEFAULT_MOVIE)}")
    print(f"manifest     {checkpoints / MANIFEST_FILENAME}")
    print(f"segments     {checkpoints / SEGMENT_FOLDER}")
    print(f"log          {folder / LOG_FILENAME}")
    print(f"summary      {folder / SUMMARY_FILENAME}")
    print(f"checkpoints  {checkpoints}")
    return 0


def _inspect(args: argparse.Namespace) -> int:
    from .._tempfiles import reading_scratch
    from ..checkpoint.archive import read_checkpoint
    from ..checkpoint.locate import checkpoint_candidates
    from .run import EXIT_USAGE

    path = Path(args.path)
    if not path.exists():
        print(
            f"glompo-scope-chkpt inspect: {path} does not exist; give a checkpoint (.tar.gz) or "
            "a checkpointing folder.",
            file=sys.stderr,
        )
        return EXIT_USAGE
    archives = checkpoint_candidates(path)[::-1] if path.is_dir() else [path]  # newest last
    rows = []
    with reading_scratch(path) as tmp:
        for archive in archives:
            try:
                meta = read_checkpoint(archive, tmp).meta
                rows.append({"file": str(archive), "status": "ok", **meta})
            except GloMPOError as exc:
                rows.append({"file": str(archive), "status": f"unreadable: {exc}"})
    if args.json:
        print(json.dumps(rows, indent=1))
    else:
        for row in rows:
            print(_inspect_line(row))
    return 0 if all(row["status"] == "ok" for row in rows) else 1


def _inspect_line(row: dict[str, Any]) -> str:
    if row["status"] != "ok":
        return f"{row['file']}: {row['status']}"
    return (
        f"{row['file']}: f_counter={row['f_counter']} task={row['task']} "
        f"segments={row.get('movie_segments')} key={row['key']}"
    )


def _report(args: argparse.Namespace) -> int:
    from .report import write_report
    from .run import EXIT_USAGE

    try:
        out = write_report(args.run_dir, args.output, args.embed_movie)
    except InvalidSettingError as exc:
        print(f"glompo-scope-chkpt report: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(out)
    return 0


def _render(args: argparse.Namespace) -> int:
    from .render import overrides_of, render_run
    from .run import EXIT_USAGE

    try:
        report = render_run(args.run_dir, args.out, overrides_of(args), args.from_checkpoint)
    except InvalidSettingError as exc:
        print(f"glompo-scope-chkpt render: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(f"movie {report.movie}: {report.frames} frames from {report.checkpoint}", end="")
    print(f" and {report.log_rows} log rows past it" if report.log_rows else "")
    return 0


def _run(args: argparse.Namespace) -> int:
    from .run import EXIT_USAGE, EarlySignals, run_stretch

    early = EarlySignals()  # first: the scheduler's warning may come at any moment
    try:
        return run_stretch(early, args.spec, args.working_dir, args.checkpointing_dir)
    except InvalidSettingError as exc:
        print(f"glompo-scope-chkpt run: {exc}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        early.release()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(message)s",
    )
    commands = {
        "demo": _demo,
        "run": _run,
        "inspect": _inspect,
        "render": _render,
        "report": _report,
    }
    try:
        return commands[args.command](args)
    except GloMPOError as exc:
        print(f"glompo-scope-chkpt: {exc}", file=sys.stderr)
        return 1
