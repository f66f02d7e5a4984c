"""The scope's marker styles and its legend, right of the axes.

This module's one concern is saying what the picture shows: the styles of the event markers and
of the checkpoint and resume lines (one place, so the legend always matches them), and the legend
that lists the optimizers (their colours and types; running ones first) and what each mark means.
The trajectory plots name the optimizers and draw the marks the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ..core.history import Marker
from .colours import Colour

__all__ = [
    "EVENT_LABELS",
    "EVENT_STYLES",
    "MAX_LISTED",
    "MAX_TYPE_CHARS",
    "RESUME_LABEL_STYLE",
    "VERTICAL_STYLES",
    "draw_legends",
    "optimizer_label",
    "optimizer_types",
]

EVENT_STYLES: dict[str, dict[str, Any]] = {
    "killed": {"marker": "x", "color": "black", "markersize": 9, "markeredgewidth": 2.0},
    "converged": {"marker": "*", "color": "gold", "markeredgecolor": "black", "markersize": 14},
    "crashed": {"marker": "X", "color": "red", "markeredgecolor": "darkred", "markersize": 10},
    "paused": {"marker": r"$\parallel$", "color": "dimgray", "markersize": 10},
}
VERTICAL_STYLES: dict[str, dict[str, Any]] = {
    # A wide pale band, under the thin checkpoint line drawn at the same evaluation.
    "resume": {"color": (0.84, 0.37, 0.0, 0.28), "linewidth": 6.0, "solid_capstyle": "butt"},
    "checkpoint": {"color": "0.3", "linewidth": 0.9, "linestyle": (0, (2, 2))},
}
RESUME_LABEL_STYLE: dict[str, Any] = {
    "color": (0.55, 0.2, 0.0),
    "fontweight": "bold",
    "bbox": {"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "none", "alpha": 0.85},
}
EVENT_LABELS = {
    "killed": "optimizer killed",
    "converged": "optimizer converged",
    "crashed": "optimizer crashed",
    "paused": "optimizer paused",
    "checkpoint": "checkpoint",
    "resume": "resumed here",
}
MAX_LISTED = 10
"""Optimizers listed by name in the legend; the rest are counted."""
MAX_TYPE_CHARS = 16
"""Longest type name shown in full; a longer one is cut to fit the legend's column."""


def optimizer_types(markers: Iterable[Marker]) -> dict[int, str]:
    """Each optimizer's type, named by its ``started`` marker (none in older histories)."""
    return {m.opt_id: m.label for m in markers if m.kind == "started" and m.opt_id is not None}


def optimizer_label(opt_id: int, types: Mapping[int, str]) -> str:
    """``"opt 13 CMAOptimizer"``, or ``"opt 13"`` when the history does not name the type."""
    kind = types.get(opt_id)
    if not kind:
        return f"opt {opt_id}"
    if len(kind) > MAX_TYPE_CHARS:
        kind = kind[: MAX_TYPE_CHARS - 1] + "\u2026"
    return f"opt {opt_id} {kind}"


def _event_handles(show_resumes: bool) -> list[Any]:
    handles: list[Any] = [
        Line2D([], [], ls="none", label=EVENT_LABELS[kind], **style)
        for kind, style in EVENT_STYLES.items()
    ]
    checkpoint = VERTICAL_STYLES["checkpoint"]
    handles.append(Line2D([], [], label=EVENT_LABELS["checkpoint"], **checkpoint))
    if show_resumes:
        band = VERTICAL_STYLES["resume"]["color"]
        handles.append(Patch(color=band, label=EVENT_LABELS["resume"]))
    return handles


def _optimizer_handles(listed: Sequence[tuple[str, Colour, bool]], hidden: int) -> list[Any]:
    handles: list[Any] = [
        Line2D([], [], color=colour, lw=2.4, ls="-" if running else ":", label=label)
        for label, colour, running in listed
    ]
    if hidden:
        handles.append(Line2D([], [], ls="none", label=f"+ {hidden} more"))
    return handles


def draw_legends(
    figure: Figure,
    anchor: tuple[float, float, float],
    listed: Sequence[tuple[str, Colour, bool]],
    hidden: int,
    style: Mapping[str, Any],
) -> list[Legend]:
    """Add the optimizers' legend (top) and the marks' legend (bottom) right of the axes.

    Parameters
    ----------
    figure
        The scope's figure.
    anchor
        ``(left, top, bottom)`` of the legend column in figure coordinates.
    listed
        ``(label, colour, running)`` of the optimizers named (running ones drawn solid); the
        labels are :func:`optimizer_label`'s.
    hidden
        How many more optimizers there are.
    style
        ``fontsize`` and ``show_resumes`` (whether the resume band is explained).

    Returns
    -------
    list[Legend]
        The legends added, to be removed when they change.
    """
    left, top, bottom = anchor
    common = {"frameon": False, "fontsize": style["fontsize"], "borderaxespad": 0.0}
    legends = []
    if listed:
        legends.append(
            figure.legend(
                handles=_optimizer_handles(listed, hidden),
                loc="upper left",
                bbox_to_anchor=(left, top),
                title="optimizers",
                title_fontsize=style["fontsize"],
                alignment="left",
                **common,
            )
        )
    legends.append(
        figure.legend(
            handles=_event_handles(bool(style["show_resumes"])),
            loc="lower left",
            bbox_to_anchor=(left, bottom),
            handlelength=1.6,
            **common,
        )
    )
    return legends
