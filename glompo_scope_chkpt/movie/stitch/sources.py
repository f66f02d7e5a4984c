"""What a stitch of a run reads: its manifest, the segments chosen, and their checked probes.

The one concern here is turning a run folder, a checkpointing folder or a manifest into the
list of movie files to stitch, in order, each probed and checked against its manifest entry
(frames, size, SHA-256), with the chapters of that timeline. Two kinds of segment a killed run
leaves are left out, each with one note, not an error: a segment still marked ``recording``
whose file is missing or holds no frame (the run was killed right after it listed a new
segment, before ffmpeg wrote a frame), and a segment ended at a checkpoint that the renderer
never finished (the renderer lags behind the run; resuming the run, or ``glompo-scope-chkpt
render``, draws it). Any other bad segment is an error, or a warning when ``skip_bad``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..._logging import get_logger
from ..._run_files import CHECKPOINT_FOLDER
from ...errors import ManifestError, NoFrameError, StitchError
from ..manifest import Manifest
from ..segment_record import SegmentRecord
from ..video.probe import probe, sha256_file
from ..video.video_info import VideoInfo
from .chapters import ChapterMark, timeline_chapters

__all__ = ["Sources", "check_record", "find_manifest", "manifest_sources", "probe_sources"]

_log = get_logger(__name__)


@dataclass
class Sources:
    """The movie files to stitch, in order, and what is known of them.

    Attributes
    ----------
    files, labels
        The files and how to name each in messages.
    output
        The movie to write, if known.
    manifest, records
        The manifest and the records of ``files`` (manifest sources only).
    """

    files: list[Path]
    labels: list[str]
    output: Path | None
    manifest: Manifest | None = None
    records: list[SegmentRecord] = field(default_factory=list)


def find_manifest(source: Path) -> tuple[Path, Path | None]:
    """Return (manifest file, working folder if ``source`` was one).

    Raises
    ------
    ManifestError
        If ``source`` does not exist, or is a folder holding no manifest or several.
    """
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


def _select(
    manifest: Manifest, from_checkpoint: str | None, include_superseded: bool
) -> list[SegmentRecord]:
    if from_checkpoint is not None:
        return manifest.timeline_at(from_checkpoint)
    if include_superseded:
        return sorted(manifest.segments, key=lambda r: r.index)
    return manifest.timeline(include_recording=True)


def manifest_sources(
    source: Path,
    output: Path | None,
    from_checkpoint: str | None = None,
    include_superseded: bool = False,
) -> Sources:
    """The segments of the run ``source`` names: its timeline, or as asked.

    Parameters
    ----------
    source
        A run's working folder, its checkpointing folder or its manifest file.
    output
        The movie to write; default the run's movie in its working folder.
    from_checkpoint
        Stitch the timeline as it stood at this checkpoint.
    include_superseded
        Stitch every segment, in recording order.

    Raises
    ------
    ManifestError
        If no manifest is found, it cannot be read, or it knows no such checkpoint.
    """
    manifest_file, working = find_manifest(source)
    manifest = Manifest.load(manifest_file)
    records = _select(manifest, from_checkpoint, include_superseded)
    files = [manifest.absolute(r) for r in records]
    labels = [f"segment {r.index} of {manifest.path}" for r in records]
    return Sources(files, labels, output or _default_output(manifest, working), manifest, records)


def check_record(record: SegmentRecord | None, info: VideoInfo, label: str) -> None:
    """Check a segment's file against its manifest entry: its frames, size and SHA-256.

    Raises
    ------
    StitchError
        If the file differs from what the manifest lists (a segment still recording has no
        entry to differ from).
    """
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


def _run_dir(manifest: Manifest) -> Path:
    """The run's working folder, as the manifest knows it."""
    if manifest.working_dir is not None:
        return (manifest.folder / manifest.working_dir).resolve()
    return manifest.folder.resolve().parent


def _unfinished(record: SegmentRecord | None, manifest: Manifest | None) -> str | None:
    """The note for a segment ended at a checkpoint the renderer never finished, else None."""
    if record is None or manifest is None:
        return None
    if record.status != "recording" or record.checkpoint is None:
        return None
    start, end = record.f_counter_start, record.f_counter_end
    if start is not None and start == end:
        return None  # it covers no evaluation (a checkpoint at the start): it has no frame
    covers = "" if start is None or end is None else f" (evaluations {start + 1} to {end})"
    return (
        f"left out segment {record.index}{covers}: the renderer never finished it before the "
        f"run stopped. Resume the run, or run 'glompo-scope-chkpt render {_run_dir(manifest)}', "
        "to draw it."
    )


def _never_recorded(record: SegmentRecord | None, file: Path, exc: StitchError) -> bool:
    """Whether ``record`` is a segment listed as recording that never received a frame."""
    if record is None or record.status != "recording":
        return False
    return isinstance(exc, NoFrameError) or not file.exists()


def probe_sources(
    sources: Sources, skip_bad: bool
) -> tuple[list[VideoInfo], list[ChapterMark] | None]:
    """Probe and check every file; return the probes to stitch and the timeline's chapters.

    The chapters are None for movie files (they keep their own). A segment still recording that
    never received a frame, and one ended at a checkpoint that the renderer never finished, are
    left out with a note each; other bad files are skipped with a warning under ``skip_bad``.

    Raises
    ------
    StitchError
        If a file is missing, unreadable or altered (without ``skip_bad``; the message says
        how to stitch without it), or no file is left (the message repeats the notes).
    """
    infos: list[VideoInfo] = []
    kept: list[SegmentRecord] = []
    notes: list[str] = []
    records: Sequence[SegmentRecord | None] = sources.records or [None] * len(sources.files)
    for file, label, record in zip(sources.files, sources.labels, records, strict=True):
        note = _unfinished(record, sources.manifest)
        if note is not None:
            notes.append(note)
            _log.warning("%s", note)
            continue
        try:
            info = probe(file)
            check_record(record, info, label)
        except StitchError as exc:
            if _never_recorded(record, file, exc):
                _log.warning("left out %s: its run stopped before it received a frame", label)
                continue
            if not skip_bad:
                raise StitchError(f"{exc} Pass --skip-bad to stitch without it.") from exc
            _log.warning("skipping %s: %s", label, exc)
            continue
        if record is not None and record.status == "recording":
            _log.warning("%s was still recording when its run stopped: including it", label)
        infos.append(info)
        if record is not None:
            kept.append(record)
    if not infos:
        why = f" ({len(notes)} left out: see the notes above)" if notes else ""
        raise StitchError(f"Nothing to stitch: no usable movie segment was found{why}.")
    return infos, (timeline_chapters(kept) if sources.manifest is not None else None)
