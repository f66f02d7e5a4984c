"""``glompo-scope-chkpt render``: draw the movie of a run from what is on disk, running nothing.

The picture comes from the history of the run's newest checkpoint (or the one named), cut into
frames by the same rule as the live recording (:mod:`~glompo_scope_chkpt.scope.frames`), so with
the same settings the frames are the live movie's. When the HDF5 log (``glompo_log.h5``) holds
evaluations past that checkpoint (a run killed later, or finished without a final checkpoint),
their points are drawn too, with the optimizers' starts and ends the log records (each group's
type, ``start_call``, ``end_call`` and ``end_reason``) as the live scope marked them. Checkpoints
and resumes after that checkpoint are not in the log and are not marked.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .._run_files import CHECKPOINT_FOLDER, LOG_FILENAME
from .._tempfiles import reading_scratch
from ..core.history import MARKER_KINDS, History, Marker, Trace
from ..errors import InvalidSettingError

if TYPE_CHECKING:
    from ..core.state import RunState

__all__ = ["RenderReport", "add_render_parser", "render_run"]


@dataclass(frozen=True)
class RenderReport:
    """What :func:`render_run` drew: the movie, its frames, the checkpoint and log rows used."""

    movie: Path
    frames: int
    checkpoint: Path
    log_rows: int


def _archive(run_dir: Path, name: str | None) -> Path:
    from ..checkpoint.locate import checkpoint_candidates

    folder = run_dir / CHECKPOINT_FOLDER
    found = checkpoint_candidates(folder) if folder.is_dir() else []
    if name is not None:
        found = [p for p in found if p.name.split(".")[0] == name]
    if not found:
        what = f"no checkpoint named {name!r}" if name else "no checkpoint"
        raise InvalidSettingError(
            f"{run_dir} holds {what} in {folder}, so there is no history to draw; give the "
            "working_dir of a run that checkpointed (checkpoint_control with "
            "checkpoint_iter_frequency or checkpoint_at_conv), or another --from-checkpoint."
        )
    return found[0]


def _log_points(groups: dict[int, Any], after: int) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Points of the log's ``groups`` with ``call_id > after``, per optimizer, in order.

    Failed and ``nan`` evaluations are left out, as the live history leaves them out.
    """
    points = {}
    for opt_id, rows in groups.items():
        keep = (rows["call_id"] > after) & ~np.isnan(rows["fx"])
        if keep.any():
            calls = rows["call_id"][keep].astype(np.int64)
            order = np.argsort(calls, kind="stable")
            points[opt_id] = (calls[order], rows["fx"][keep].astype(np.float64)[order])
    return points


def _log_markers(groups: dict[int, Any], state: RunState) -> list[Marker]:
    """The starts and ends of optimizers that the log records and ``state`` does not know yet.

    As the live run marks them: a start with the optimizer's type, an end at ``end_call`` with its
    status as kind, its reason as label, at the optimizer's last value by then (failed and
    ``nan`` evaluations left out). Sorted by evaluation; at the same one, as the loop does them:
    optimizers that end, then those that start in order of id, each followed by its end if it
    ended where it started.
    """
    found: list[tuple[tuple[int, int, int, int], Marker]] = []
    for opt_id, group in groups.items():
        attrs, known = group["attrs"], state.optimizers.get(opt_id)
        start = int(attrs["start_call"])
        if known is None:
            marker = Marker("started", start, opt_id, None, str(attrs["type"]))
            found.append(((start, 1, opt_id, 0), marker))
        end = int(attrs["end_call"])
        status, _, reason = str(attrs["end_reason"]).partition(": ")
        if end >= 0 and (known is None or known.running) and status in MARKER_KINDS:
            valid = (group["call_id"] <= end) & ~np.isnan(group["fx"])
            fx = float(group["fx"][valid][-1]) if valid.any() else None
            order = (end, 1, opt_id, 1) if end == start else (end, 0, opt_id, 0)
            found.append((order, Marker(status, end, opt_id, fx, reason)))
    return [marker for _, marker in sorted(found, key=lambda item: item[0])]


def _history(run_dir: Path, name: str | None) -> tuple[History, dict[str, Any], Path, int]:
    from ..checkpoint.load import read_run
    from ..log.format import read_log

    archive = _archive(run_dir, name)
    with reading_scratch(archive) as tmp:
        _, saved = read_run(archive, tmp)
    history, rows = saved.state.history, 0
    log = run_dir / LOG_FILENAME
    if log.is_file():
        groups = read_log(log)["optimizers"]
        for opt_id, (calls, fx) in sorted(_log_points(groups, saved.state.f_counter).items()):
            history.traces.setdefault(opt_id, Trace()).extend(calls, fx)
            rows += len(calls)
        history.markers.extend(_log_markers(groups, saved.state))
    return history, saved.settings.visualisation_args, archive, rows


def render_run(
    run_dir: str | Path,
    out: str | Path | None = None,
    overrides: dict[str, Any] | None = None,
    checkpoint: str | None = None,
) -> RenderReport:
    """Draw the movie of the run in ``run_dir`` into ``out`` (default: ``<run_dir>/rendered.mp4``).

    Every frame of the grid up to the last evaluation is drawn, then the run's last frame.

    Raises
    ------
    InvalidSettingError
        If the folder holds nothing to draw, or ``overrides`` are not valid.
    """
    from ..movie.stitch.run import stitch
    from ..movie.video.segment_writer import SegmentWriter
    from ..scope.cursor import HistoryCursor
    from ..scope.frames import FrameGrid, FrameSplitter
    from ..scope.plot import ScopePlot
    from ..scope.vis_args import merge_visualisation_args

    run_dir = Path(run_dir)
    history, saved_args, archive, rows = _history(run_dir, checkpoint)
    args = merge_visualisation_args(saved_args, overrides)
    last = max((t.last_call for t in history.traces.values() if len(t)), default=0)
    last = max([last, *(m.call_id for m in history.markers)])
    if last == 0:
        raise InvalidSettingError(f"{archive} holds no evaluation yet: nothing to draw.")
    target = Path(out) if out is not None else run_dir / "rendered.mp4"
    plot = ScopePlot(args)
    grid = FrameGrid(args["events_per_flush"], args["max_frames"])
    splitter = FrameSplitter(grid)
    splitter.add(HistoryCursor(history).delta())
    with reading_scratch(target.parent) as tmp:
        segment = Path(tmp) / "render.ts"
        width, height = plot.canvas.get_width_height(physical=True)
        with SegmentWriter(segment, width, height, **args["writer_kwargs"]) as writer:
            for _, delta in splitter.frames(last):
                plot.apply(delta)
                writer.write(plot.render())
            plot.apply(splitter.final())
            writer.write(plot.render())
        stitch([segment], target, mode="auto", force=True)
        frames = writer.frames
    return RenderReport(target, frames, archive, rows)


def add_render_parser(sub: Any) -> None:
    """Add the ``render`` subcommand to the command line's subparsers."""
    render = sub.add_parser(
        "render",
        help="draw the movie of a run from its checkpoints and log, without running anything",
    )
    render.add_argument("run_dir", type=Path, help="the run's working_dir")
    render.add_argument("-o", "--out", type=Path, help="movie file (default RUN_DIR/rendered.mp4)")
    look = "(default: as the run was recorded)"
    render.add_argument("--dpi", type=float, help=f"dots per inch of the frames {look}")
    render.add_argument("--fps", type=float, help=f"frames per second of the movie {look}")
    render.add_argument(
        "--figsize", type=float, nargs=2, metavar=("W", "H"), help=f"figure size in inches {look}"
    )
    render.add_argument(
        "--x-range", type=int, help=f"show a trailing window of this many evaluations {look}"
    )
    render.add_argument(
        "--y-range", type=float, nargs=2, metavar=("MIN", "MAX"), help=f"y axis limits {look}"
    )
    render.add_argument(
        "--log-scale",
        action=argparse.BooleanOptionalAction,
        default=None,
        help=f"logarithmic y axis {look}",
    )
    render.add_argument(
        "--events-per-frame", type=int, help=f"evaluations between two frames {look}"
    )
    render.add_argument(
        "--from-checkpoint",
        metavar="NAME",
        help="draw the run as this checkpoint holds it (default: the newest checkpoint, and the "
        "log's rows past it)",
    )


def overrides_of(args: argparse.Namespace) -> dict[str, Any]:
    """The ``visualisation_args`` overrides the command line gives."""
    out: dict[str, Any] = {}
    movie = {k: v for k, v in (("dpi", args.dpi), ("figsize", args.figsize)) if v is not None}
    if movie:
        out["movie_kwargs"] = movie
    if args.fps is not None:
        out["writer_kwargs"] = {"fps": args.fps}
    for key, value in (
        ("x_range", args.x_range),
        ("y_range", args.y_range),
        ("log_scale", args.log_scale),
        ("events_per_flush", args.events_per_frame),
    ):
        if value is not None:
            out[key] = value
    return out
