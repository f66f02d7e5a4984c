"""``stitch-movies --list`` and ``--json``: the segments of a run, or the files, as a table."""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import StitchError
from ..movie.stitch.sources import Sources
from ..movie.video.probe import probe

__all__ = ["print_list"]


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


def _list_rows(sources: Sources) -> list[dict[str, object]]:
    """One row per segment (manifest) or per file (movie files), as plain data."""
    if sources.manifest is not None:
        chosen = {r.index for r in sources.records}
        rows = []
        for record in sorted(sources.manifest.segments, key=lambda r: r.index):
            row: dict[str, object] = record.to_dict()
            row["selected"] = record.index in chosen
            file = sources.manifest.absolute(record)
            row["exists"] = file.is_file()
            if record.video is None and row["exists"]:
                row.update(_media_row(file))  # e.g. a segment still recording
            rows.append(row)
        return rows
    rows = []
    for number, file in enumerate(sources.files, start=1):
        probe(file)  # a bad file is an error here, as when stitching
        row = {"index": number, "path": str(file), "status": "file", **_media_row(file)}
        rows.append({**row, "selected": True, "exists": True})
    return rows


def print_list(sources: Sources, as_json: bool) -> None:
    """Print the segments (or files) of ``sources``: a table, or JSON with ``as_json``.

    Raises
    ------
    StitchError
        If one of the movie files given (not a run's segment) cannot be read.
    """
    rows = _list_rows(sources)
    if as_json:
        data = {
            "manifest": str(sources.manifest.path) if sources.manifest else None,
            "output": str(sources.output) if sources.output else None,
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
    if sources.manifest is not None:
        print(f"* = stitched by this command; output: {sources.output}")
