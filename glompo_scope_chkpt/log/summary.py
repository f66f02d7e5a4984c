"""Summary files written at the end of an optimization (``summary_files`` levels 1 and 2).

Level 1 is a human-readable YAML file, ``glompo_manager_log.yml``: the manager passes a mapping
of settings, result, why the run ended, the time and evaluations used across all sessions (and
how many of them were replayed from the log on resume, with the time that saved), the
checkpoints made and the movie segments. Level 2 adds two plots of every optimizer's trajectory,
``trajectories.png`` (``fx`` against ``call_id``) and ``trajectories_best.png`` (the running best
of each optimizer), drawn from the manager's :class:`~glompo_scope_chkpt.core.history.History`
with the scope's colours, optimizer names and marks.

Both are written atomically (temporary name, fsync, rename). The plots use matplotlib's object
API on an Agg canvas, never pyplot, so they work in any thread and leave no global figure state.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import yaml

from .._disk import naming_disk
from .._fileio import atomic_path, atomic_write_text
from .._logging import get_logger
from .._run_files import SUMMARY_FILENAME, TRAJECTORY_BEST_FILENAME, TRAJECTORY_FILENAME
from ..core.history import History, Marker
from ..errors import LogDiskError
from ..scope.bins import Bins

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "SUMMARY_FILENAME",
    "TRAJECTORY_FILENAME",
    "TRAJECTORY_BEST_FILENAME",
    "to_plain",
    "write_yaml_summary",
    "write_trajectory_plots",
]

_MAX_LEGEND = 20
_COLUMNS = 2000
"""Bins of evaluations a trajectory plot draws at most: about two per pixel column of its axes."""
_BIN_CHUNK = 1 << 16
"""Points binned at a time: the bins merge the same whatever the chunks."""
_log = get_logger(__name__)


def to_plain(value: Any) -> Any:
    """Return ``value`` as plain Python types that ``yaml.safe_dump`` accepts.

    numpy scalars and arrays, paths, tuples, sets, dataclasses, enums and datetimes are
    converted; mapping keys become strings. Any other object becomes its ``str`` so that a long
    run is never denied its summary by one exotic setting.
    """
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Mapping):
        return {str(key): to_plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_plain(item) for item in value]
    if isinstance(value, (set, frozenset)):
        return sorted((to_plain(item) for item in value), key=repr)
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, enum.Enum):
        return value.name
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_plain(dataclasses.asdict(value))
    _log.debug("Summary value of type %s written as its str()", type(value).__name__)
    return str(value)


def write_yaml_summary(path: Path, data: Mapping[str, Any]) -> None:
    """Write ``data`` as YAML to ``path`` (normally ``<working_dir>/glompo_manager_log.yml``).

    Keys keep the order of ``data``. The file is replaced atomically, so an interrupted write
    leaves the previous summary (or none), never a torn one.

    Parameters
    ----------
    path
        The file to write.
    data
        The summary; converted with :func:`to_plain`.

    Raises
    ------
    LogDiskError
        If the disk refuses the file (full, read-only, failing); the message names the disk.
    OSError
        If the folder of ``path`` does not exist or cannot be written.
    """
    text = yaml.safe_dump(
        to_plain(dict(data)), sort_keys=False, default_flow_style=False, allow_unicode=True
    )
    with naming_disk(LogDiskError, "the summary", path):
        atomic_write_text(path, text)
    _log.info("Wrote summary %s", path)


def write_trajectory_plots(folder: Path, history: History, log_scale: bool = False) -> list[Path]:
    """Plot every optimizer's trajectory and running best into ``folder``.

    Parameters
    ----------
    folder
        Existing folder receiving ``trajectories.png`` and ``trajectories_best.png``.
    history
        The manager's history: traces per optimizer, and markers (killed, converged, crashed
        optimizers as points; checkpoints and resumes as vertical lines).
    log_scale
        Use a logarithmic ``fx`` axis; values ``<= 0`` are left out, as on the scope.

    Returns
    -------
    list[Path]
        The two files written.

    Raises
    ------
    ImportError
        If matplotlib is not installed.
    LogDiskError
        If the disk refuses a file (full, read-only, failing); the message names the disk.
    OSError
        If ``folder`` does not exist or cannot be written.
    """
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as err:  # pragma: no cover - matplotlib is a dependency
        raise ImportError("Trajectory plots need matplotlib: pip install matplotlib") from err
    written = []
    for name, best in ((TRAJECTORY_FILENAME, False), (TRAJECTORY_BEST_FILENAME, True)):
        fig = Figure(figsize=(10, 5), dpi=100, layout="constrained")
        FigureCanvasAgg(fig)
        axes = fig.add_subplot()
        _draw(axes, history, best=best, log_scale=log_scale)
        target = Path(folder) / name
        with naming_disk(LogDiskError, "the plot", target), atomic_path(target) as tmp:
            fig.savefig(tmp, format="png")
        written.append(target)
    _log.info("Wrote trajectory plots in %s", folder)
    return written


def _draw(axes: Axes, history: History, best: bool, log_scale: bool) -> None:
    """Draw one trajectory plot on ``axes``."""
    from ..scope.colours import assign_colours, history_spans
    from ..scope.legend import optimizer_label, optimizer_types
    from ..scope.limits import bin_width, fitted_high

    traces = {opt_id: t for opt_id, t in sorted(history.traces.items()) if len(t)}
    colours = assign_colours(history_spans(history))  # the scope's colours
    types = optimizer_types(history.markers)
    labelled = len(traces) <= _MAX_LEGEND
    last = max((t.last_call for t in traces.values()), default=0)
    width = bin_width(last, _COLUMNS)
    for opt_id, trace in traces.items():
        call_ids, fx = trace.columns()  # unpacked once (an ended trace is packed)
        if best:
            fx = np.fmin.accumulate(fx)
        if log_scale:  # as the scope (and GloMPO): a value <= 0 has no place on a log axis
            fx = np.where(fx > 0, fx, np.nan)
        axes.plot(
            *_decimated(call_ids, fx, width),
            lw=1,
            color=colours[opt_id],
            drawstyle="steps-post" if best else "default",
            label=optimizer_label(opt_id, types) if labelled else None,
        )
    for kind, markers in _group_markers(history.markers).items():
        _draw_markers(axes, history, kind, markers, best)
    axes.set_xlabel("function evaluations (call_id)")
    axes.set_ylabel("best fx so far" if best else "fx")
    axes.set_title("Running best of each optimizer" if best else "Trajectories of every optimizer")
    if not traces:
        axes.text(0.5, 0.5, "no evaluations", transform=axes.transAxes, ha="center")
    else:
        axes.set_xlim(0, fitted_high(last))
        if log_scale:
            axes.set_yscale("log")
    handles, _ = axes.get_legend_handles_labels()
    if handles:
        axes.figure.legend(
            handles=handles, loc="outside right upper", fontsize="small", frameon=False
        )


def _decimated(call_ids: np.ndarray, fx: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """The points to draw of one trace: all of them, or the lowest and highest of each bin of
    ``width`` evaluations when there are many more than pixel columns (as the scope draws)."""
    if width == 1 or len(fx) <= 4 * _COLUMNS:
        return call_ids, fx
    bins = Bins(width)
    for start in range(0, len(fx), _BIN_CHUNK):  # binning holds ~150 bytes per point it is given
        bins.add(call_ids[start : start + _BIN_CHUNK], fx[start : start + _BIN_CHUNK])
    return bins.polyline()


def _group_markers(markers: list[Marker]) -> dict[str, list[Marker]]:
    """The markers by kind, in the order of the scope's legend."""
    from ..scope.legend import EVENT_STYLES, VERTICAL_STYLES

    grouped: dict[str, list[Marker]] = {k: [] for k in (*EVENT_STYLES, *VERTICAL_STYLES)}
    for marker in markers:
        if marker.kind in grouped:
            grouped[marker.kind].append(marker)
    return grouped


def _draw_markers(
    axes: Axes, history: History, kind: str, markers: list[Marker], best: bool
) -> None:
    """Draw one kind of marker as the scope does: a point per optimizer event, or a vertical line
    per run event."""
    from ..scope.legend import EVENT_LABELS, EVENT_STYLES, VERTICAL_STYLES

    if kind in VERTICAL_STYLES:
        for i, marker in enumerate(markers):
            label = EVENT_LABELS[kind] if i == 0 else None
            axes.axvline(marker.call_id, label=label, zorder=1.5, **VERTICAL_STYLES[kind])
        return
    xs, ys = [], []
    for marker in markers:
        y = _marker_y(history, marker, best)
        if y is not None:
            xs.append(marker.call_id)
            ys.append(y)
    if xs:
        axes.plot(xs, ys, ls="none", zorder=4, label=EVENT_LABELS[kind], **EVENT_STYLES[kind])


def _marker_y(history: History, marker: Marker, best: bool) -> float | None:
    """Height of an optimizer marker: its own ``fx``, else the trace's value at that call."""
    trace = history.traces.get(marker.opt_id) if marker.opt_id is not None else None
    if trace is None or not len(trace):
        return marker.fx
    call_ids, fx = trace.columns()
    index = max(0, int(np.searchsorted(call_ids, marker.call_id, side="right")) - 1)
    if best:
        return float(np.min(fx[: index + 1]))
    return marker.fx if marker.fx is not None else float(fx[index])
