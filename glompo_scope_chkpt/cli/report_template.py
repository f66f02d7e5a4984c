"""The HTML of the run report: one page, its style and script inline, every text escaped.

Notes
-----
The one concern of this module is turning a :class:`~.report.ReportData` into HTML. Every
value taken from the run (names, reasons, paths, numbers) goes through :func:`html.escape`;
the only script seeks the video when a chapter link is clicked.
"""

from __future__ import annotations

import html
import math
import time
from collections.abc import Iterable, Sequence
from typing import Any

from .report import ReportData

__all__ = ["render"]

_PALETTE = ("#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2")
_STYLE = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;background:#f4f5f7;
color:#1d2330}
header{background:#1d2f4d;color:#fff;padding:22px 36px}header h1{margin:0 0 4px;font-size:24px}
header p{margin:0;opacity:.85}main{max-width:1100px;margin:0 auto;padding:8px 24px 40px}
h3{font-size:15px;margin:16px 0 6px}section{background:#fff;border-radius:8px;
box-shadow:0 1px 3px #0002;margin:18px 0;padding:16px 22px}
h2{font-size:18px;margin:0 0 12px;color:#1d2f4d}
.movie{display:flex;gap:22px;flex-wrap:wrap}video{max-width:640px;width:100%;background:#000;
border-radius:4px}ol.chapters{margin:0;padding-left:20px;min-width:260px;flex:1}
ol.chapters a{color:#1f5fbf;text-decoration:none;font-variant-numeric:tabular-nums}
ol.chapters a:hover{text-decoration:underline}table{border-collapse:collapse;width:100%;
font-size:13.5px}th,td{text-align:left;padding:4px 10px;border-bottom:1px solid #e3e6eb}
th{background:#f0f2f5}td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.superseded td{color:#8a8f99;text-decoration:line-through}dl{display:grid;
grid-template-columns:max-content 1fr;gap:4px 18px;margin:0}dt{font-weight:600}dd{margin:0;
word-break:break-all}.plots{display:flex;flex-wrap:wrap;gap:16px}.plots figure{margin:0;
flex:1;min-width:300px}.plots img{width:100%}.note{color:#6b7280}svg text{font-size:11px;
fill:#374151}
"""
_SCRIPT = """
document.querySelectorAll("a.chapter").forEach(function (link) {
  link.addEventListener("click", function (event) {
    event.preventDefault();
    var video = document.getElementById("movie");
    video.currentTime = parseFloat(link.dataset.t);
  });
});
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _num(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return _e(value)
    if isinstance(value, int):
        return f"{value:,}"
    return "nan" if math.isnan(value) else f"{value:.6g}"


def _clock(seconds: float) -> str:
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes)}:{rest:04.1f}"


def _when(stamp: Any) -> str:
    if not isinstance(stamp, (int, float)) or isinstance(stamp, bool):
        return _num(stamp)
    return _e(time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(stamp)))


def _table(head: Sequence[str], rows: Iterable[tuple[str, Sequence[str]]]) -> str:
    """A table; each row is (its class, already escaped cells); numeric cells start with '#'."""
    cells = "".join(f"<th>{_e(h)}</th>" for h in head)
    body = []
    for kind, row in rows:
        tds = "".join(
            f'<td class="num">{c[1:]}</td>' if c.startswith("#") else f"<td>{c}</td>" for c in row
        )
        body.append(f'<tr class="{_e(kind)}">{tds}</tr>')
    return f"<table><thead><tr>{cells}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _movie(data: ReportData) -> str:
    if data.movie_src is None:
        return ""
    links = "".join(
        f'<li><a class="chapter" href="#movie" data-t="{c.seconds:.6f}">{_clock(c.seconds)}</a>'
        f" {_e(c.title)}</li>"
        for c in data.chapters
    )
    info = data.movie_info
    caption = (
        f"{_e(data.movie_name)}: {_num(info.get('frames'))} frames, "
        f"{_num(info.get('width'))}&times;{_num(info.get('height'))}, {_num(info.get('fps'))} fps"
    )
    return (
        '<section><h2>Movie</h2><div class="movie"><div>'
        f'<video id="movie" controls preload="metadata" src="{_e(data.movie_src)}"></video>'
        f'<div class="note">{caption}</div></div>'
        f'<ol class="chapters">{links}</ol></div></section>'
    )


def _bar(x: float, width: float, y: int, colour: str, title: str, dashed: bool = False) -> str:
    extra = ' fill-opacity=".35" stroke-dasharray="4 2"' if dashed else ""
    return (
        f'<rect x="{x:.1f}" y="{y}" width="{max(width, 1.5):.1f}" height="22" fill="{colour}" '
        f'stroke="{colour}"{extra}><title>{_e(title)}</title></rect>'
    )


def _timeline_svg(data: ReportData) -> str:
    """Segments along the evaluations: the movie's timeline above, superseded stretches below."""
    spans = [s for s in data.segments if s.f_counter_start is not None]
    total = max([s.f_counter_end or s.f_counter_start or 0 for s in spans] + [1])
    left, width = 90, 800

    def x(f: float) -> float:
        return left + width * f / total

    parts = ['<text x="0" y="30">timeline</text>', '<text x="0" y="66">superseded</text>']
    previous_session = None
    for s in spans:
        start, end = s.f_counter_start or 0, s.f_counter_end if s.f_counter_end else total
        on = s.index in data.timeline
        colour = _PALETTE[(s.session or 1) % len(_PALETTE)] if on else "#b0b6c0"
        title = f"segment {s.index}, session {s.session}: {start:,} to {end:,} ({s.status})"
        parts.append(_bar(x(start), x(end) - x(start), 14 if on else 50, colour, title, not on))
        if on and s.checkpoint is not None:
            parts.append(
                f'<line x1="{x(end):.1f}" x2="{x(end):.1f}" y1="10" y2="40" stroke="#1d2330">'
                f"<title>checkpoint {_e(s.checkpoint)} at {end:,}</title></line>"
            )
        if on and previous_session is not None and s.session != previous_session:
            parts.append(
                f'<path d="M{x(start):.1f} 8 l-5 -7 h10 z" fill="#d62728">'
                f"<title>session {_e(s.session)} resumed at {start:,}</title></path>"
            )
        previous_session = s.session if on else previous_session
    parts.append(f'<text x="{left}" y="92">0</text>')
    parts.append(f'<text x="{left + width}" y="92" text-anchor="end">{total:,} evaluations</text>')
    return f'<svg viewBox="0 0 {left + width + 10} 100" width="100%">{"".join(parts)}</svg>'


def _timeline(data: ReportData) -> str:
    sessions = _table(
        ["session", "started", "resumed from", "evaluations", "ended", "why it ended"],
        (
            (
                "",
                [
                    _num(s.get("number")),
                    _when(s.get("started")),
                    _e(s.get("resumed_from") or "— (new run)"),
                    f"#{_num(s.get('f_counter_start'))} &ndash; {_num(s.get('f_counter_end'))}",
                    _when(s.get("ended")),
                    _e(s.get("end_reason")),
                ],
            )
            for s in data.sessions
        ),
    )
    segments = _table(
        ["segment", "session", "status", "evaluations", "closed by", "frames", "seconds"],
        (
            (
                s.status,
                [
                    f"#{s.index}",
                    f"#{_num(s.session)}",
                    _e(s.status),
                    f"#{_num(s.f_counter_start)} &ndash; {_num(s.f_counter_end)}",
                    _e(s.checkpoint or "—"),
                    f"#{_num(s.video.frames if s.video else None)}",
                    f"#{_num(s.video.duration if s.video else None)}",
                ],
            )
            for s in data.segments
        ),
    )
    live = "the run has ended" if data.ended else "the run has not ended (the playlist is live)"
    legend = (
        f'<p class="note">Segments along the evaluations ({live}): colour = session, '
        "red triangle = a session resumed, tick = checkpoint, grey dashed = superseded "
        "(recorded past the checkpoint a later session resumed from; kept, never shown).</p>"
    )
    body = legend + _timeline_svg(data) + "<h3>Segments</h3>" + segments if data.segments else ""
    if data.sessions:
        body += "<h3>Sessions</h3>" + sessions
    return f"<section><h2>Timeline</h2>{body}</section>" if body else ""


def _result(data: ReportData) -> str:
    if not data.result and not data.stats:
        return ""
    r, st = data.result, data.stats
    x = r.get("x")
    x_text = ", ".join(_num(v) for v in x) if isinstance(x, list) else _e(x)
    items = [
        ("best f", _num(r.get("fx"))),
        ("at x", x_text or "—"),
        ("found by", f"optimizer {_num(r.get('opt_id'))} at evaluation {_num(r.get('call_id'))}"),
        ("evaluations", _num(st.get("f_counter"))),
        ("sessions", _num(st.get("sessions"))),
        ("why it ended", _e(st.get("end_reason"))),
        ("optimizers", ", ".join(
            f"{_num(st.get('optimizers_' + what))} {what}"
            for what in ("started", "converged", "killed", "crashed")
        )),
    ]  # fmt: skip
    rows = "".join(f"<dt>{_e(k)}</dt><dd>{v}</dd>" for k, v in items)
    return f"<section><h2>Result</h2><dl>{rows}</dl></section>"


def _optimizers(data: ReportData) -> str:
    if not data.optimizers:
        return ""
    rows = (
        (
            "",
            [
                f"#{o['id']}",
                _e(o["type"]),
                f"#{_num(o['start'])}",
                f"#{_num(o['end'])}",
                f"#{_num(o['evaluations'])}",
                f"#{_num(o['best'])}",
                _e(o["reason"] or ("running at the last write" if o["end"] is None else "")),
            ],
        )
        for o in data.optimizers
    )
    head = ["id", "type", "start", "end", "evaluations", "best f", "end reason"]
    return f"<section><h2>Optimizers</h2>{_table(head, rows)}</section>"


def _plots(data: ReportData) -> str:
    if not data.plots:
        return ""
    figures = "".join(
        f'<figure><img alt="{_e(name)}" src="data:image/png;base64,{png}">'
        f"<figcaption class='note'>{_e(name)}</figcaption></figure>"
        for name, png in data.plots
    )
    return f'<section><h2>Trajectories</h2><div class="plots">{figures}</div></section>'


def render(data: ReportData) -> str:
    """Return the report page of ``data``: self-contained HTML5."""
    title = f"Run report: {data.run_dir.resolve().name}"
    notes = "".join(f'<p class="note">{_e(n)}</p>' for n in data.notes)
    sections = [_movie(data), _timeline(data), _result(data), _optimizers(data), _plots(data)]
    generated = time.strftime("%Y-%m-%d %H:%M")
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f'<link rel="icon" href="data:,"><title>{_e(title)}</title><style>{_STYLE}</style>'
        f"</head><body><header><h1>{_e(title)}</h1><p>{_e(data.run_dir)} · written {generated} "
        f"by glompo-scope-chkpt report</p></header><main>{''.join(sections)}"
        f"{f'<section><h2>Notes</h2>{notes}</section>' if notes else ''}</main>"
        f"<script>{_SCRIPT}</script></body></html>\n"
    )
