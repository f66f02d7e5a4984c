"""The movie manifest file: which segment files make up the movie of one optimization.

``movie_manifest.json`` lives in the checkpointing folder. It lists every movie segment ever
recorded for the optimization, in recording order, each a
:class:`~.segment_record.SegmentRecord` with a status (``"complete"``, ``"superseded"`` or
``"recording"``; see :mod:`.segment_record`).

Notes
-----
The one concern of this module is the manifest file as a whole: its schema and version,
loading and validating it, saving it atomically, and the operations over its segments (the
timeline, superseding, the next index, relative and absolute segment paths). The file is
versioned (``schema`` and ``version``) and always replaced atomically. Segment paths are
relative to the manifest's folder, POSIX style, so a run folder can be moved as a whole.
"""

from __future__ import annotations

import bisect
import json
import os
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import Any

from .._disk import naming_disk
from .._fileio import atomic_write_text, make_dirs
from .._logging import get_logger
from .._run_files import DEFAULT_MOVIE, MANIFEST_FILENAME
from ..errors import ManifestDiskError, ManifestError
from .confine import outfile_problem, working_dir_problem
from .playlist import write_playlist
from .segment_record import SegmentRecord, _bad

__all__ = ["MANIFEST_SCHEMA", "MANIFEST_VERSION", "Manifest"]

_log = get_logger(__name__)

MANIFEST_SCHEMA = "glompo_scope_chkpt/movie_manifest"
MANIFEST_VERSION = 1
MAX_MANIFEST_BYTES = 64 << 20
"""Largest manifest read: 64 MiB, some 100,000 segments."""


class Manifest:
    """The list of movie segments of one optimization, stored as ``movie_manifest.json``.

    Parameters
    ----------
    path
        The manifest file, or the folder to hold it (``FILENAME`` is appended).
    outfile
        Name of the stitched movie (the scope's ``movie_kwargs['outfile']``).
    segments
        The segment records, in any order.
    working_dir
        Optional: the run's working folder, relative to the manifest's folder (POSIX style, e.g.
        ``".."``); ``stitch-movies`` writes the stitched movie there by default.

    Notes
    -----
    Not thread-safe: one writer (the manager) owns the manifest while a run is going.
    ``ended`` says the run has ended (saved as ``"ended": true``; a starting session clears
    it); it closes the live playlist (:mod:`.playlist`).
    """

    FILENAME = MANIFEST_FILENAME

    def __init__(
        self,
        path: str | os.PathLike[str],
        outfile: str = DEFAULT_MOVIE,
        segments: list[SegmentRecord] | None = None,
        working_dir: str | None = None,
    ) -> None:
        path = Path(path)
        self.path = path if path.suffix == ".json" else path / self.FILENAME
        self.outfile = outfile
        self.working_dir = working_dir
        self.segments: list[SegmentRecord] = list(segments or [])
        self.ended = False
        self._check_unique()

    @property
    def outfile(self) -> str:
        """Name of the stitched movie: a plain file name (see :mod:`.confine`)."""
        return self._outfile

    @outfile.setter
    def outfile(self, name: str) -> None:
        problem = outfile_problem(name)
        if problem is not None:
            raise ManifestError(_bad(self.path, "'outfile'", f"{problem}: {name!r:.80}"))
        self._outfile = name

    @property
    def working_dir(self) -> str | None:
        """The run's working folder relative to the manifest's, inside the run folder, or None."""
        return self._working_dir

    @working_dir.setter
    def working_dir(self, path: str | None) -> None:
        problem = None if path is None else working_dir_problem(path)
        if problem is not None:
            raise ManifestError(_bad(self.path, "'working_dir'", f"{problem}: {path!r:.80}"))
        self._working_dir = path

    @property
    def folder(self) -> Path:
        """The folder holding the manifest; segment paths are relative to it."""
        return self.path.parent

    # ----------------------------------------------------------------------------- reading
    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Manifest:
        """Read a manifest from its file, or from the folder holding ``FILENAME``.

        Raises
        ------
        ManifestError
            If the file is missing, is not valid JSON, is of another schema or an unknown
            version, or holds a bad entry; the message names the file and what to do.
        """
        path = Path(path)
        file = path / cls.FILENAME if path.is_dir() else path
        try:
            if file.stat().st_size > MAX_MANIFEST_BYTES:
                raise ManifestError(_bad(file, "the file", f"exceeds {MAX_MANIFEST_BYTES} bytes"))
            text = file.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ManifestError(
                f"No movie manifest at {file}: the run recorded no movie (record_movie=True "
                "records one), or the path is wrong; give the manifest file, its checkpointing "
                "folder or the run's working folder."
            ) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ManifestError(f"Cannot read movie manifest {file}: {exc}.") from exc
        try:
            data = json.loads(text)
        except ValueError as exc:  # including numbers of thousands of digits
            raise ManifestError(_bad(file, "the file", f"is not valid JSON ({exc})")) from exc
        except RecursionError as exc:
            raise ManifestError(_bad(file, "the file", "nests too deeply")) from exc
        try:
            return cls._from_json(file, data)
        except RecursionError as exc:  # a field nested too deeply to be shown
            raise ManifestError(_bad(file, "a segment entry", "nests too deeply")) from exc

    @classmethod
    def _from_json(cls, file: Path, data: Any) -> Manifest:
        if not isinstance(data, dict) or data.get("schema") != MANIFEST_SCHEMA:
            raise ManifestError(_bad(file, "the file", f"is not a {MANIFEST_SCHEMA} file"))
        version = data.get("version")
        if type(version) is not int or version != MANIFEST_VERSION:
            raise ManifestError(
                f"Movie manifest {file} has version {version!r}; this version of "
                f"glompo_scope_chkpt reads version {MANIFEST_VERSION}. Use the glompo_scope_chkpt "
                "version that wrote it (upgrade with 'pip install -U glompo_scope_chkpt')."
            )
        entries = data.get("segments")
        if not isinstance(entries, list):
            raise ManifestError(_bad(file, "'segments'", "is not a list"))
        outfile: Any = data.get("outfile")  # any JSON value: the setter checks it
        manifest = cls(file, outfile, None, data.get("working_dir"))
        manifest.ended = data.get("ended", False)
        if not isinstance(manifest.ended, bool):
            raise ManifestError(_bad(file, "'ended'", "is not true or false"))
        manifest.segments = [SegmentRecord.from_dict(entry, file) for entry in entries]
        manifest._check_unique(validate=False)  # from_dict checked each entry
        return manifest

    @classmethod
    def load_or_new(cls, folder_or_path: str | os.PathLike[str], outfile: str) -> Manifest:
        """Load the manifest if it exists, else start an empty one (not yet saved).

        The manifest records the file name of ``outfile`` only (see :mod:`.confine`); an
        existing manifest takes it as its new movie name.

        Raises
        ------
        ManifestError
            If a manifest exists but cannot be read (see :meth:`load`).
        """
        name = Path(outfile).name
        fresh = cls(folder_or_path, name)
        if not fresh.path.exists():
            return fresh
        manifest = cls.load(fresh.path)
        if manifest.outfile != name:
            _log.info("movie outfile changed from %s to %s", manifest.outfile, name)
            manifest.outfile = name
        return manifest

    # ----------------------------------------------------------------------------- writing
    def to_dict(self) -> dict[str, Any]:
        """Return the JSON-ready content of the manifest."""
        data: dict[str, Any] = {
            "schema": MANIFEST_SCHEMA,
            "version": MANIFEST_VERSION,
            "outfile": self.outfile,
        }
        if self.working_dir is not None:
            data["working_dir"] = self.working_dir
        if self.ended:
            data["ended"] = True
        data["segments"] = [r.to_dict() for r in sorted(self.segments, key=lambda r: r.index)]
        return data

    def save(self) -> None:
        """Write the manifest atomically (temporary file, fsync, rename), creating its folder.
        The live playlist beside it (:mod:`.playlist`) is then rewritten the same way.

        Every segment it lists complete must be on disk already (the segment writer fsyncs each
        file it closes, the timeline the folder it renames it in).

        Raises
        ------
        ManifestDiskError
            If the disk refuses the write (full, read-only, failing); the previous manifest is
            left as it was.
        OSError
            If the manifest cannot be written otherwise.
        """
        text = json.dumps(self.to_dict(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
        with naming_disk(ManifestDiskError, "the movie manifest", self.path):
            make_dirs(self.folder)
            atomic_write_text(self.path, text)
        write_playlist(self)
        _log.debug("saved movie manifest %s (%d segments)", self.path, len(self.segments))

    # ----------------------------------------------------------------------------- segments
    def next_index(self) -> int:
        """Return the index for a new segment: one more than any index ever used."""
        return 1 + max((r.index for r in self.segments), default=0)

    def add(self, record: SegmentRecord) -> None:
        """Append a segment record.

        Raises
        ------
        ManifestError
            If the record is invalid, or its index or path is already used.
        """
        record._validate(self.path)
        for other in self.segments:
            if other.index == record.index or other.path == record.path:
                raise self._clash(record, other)
        self.segments.append(record)

    def _check_unique(self, validate: bool = True) -> None:
        """Check every record (if ``validate``) and that no two share an index or a path.

        In linear time: a manifest of 50,000 segments loads in about a second.
        """
        by_index: dict[int, SegmentRecord] = {}
        by_path: dict[str, SegmentRecord] = {}
        for record in self.segments:
            if validate:
                record._validate(self.path)
            other = by_index.get(record.index) or by_path.get(record.path)
            if other is not None:
                raise self._clash(record, other)
            by_index[record.index] = by_path[record.path] = record

    def _clash(self, record: SegmentRecord, other: SegmentRecord) -> ManifestError:
        return ManifestError(
            f"Movie manifest {self.path}: segment {record.index} ({record.path}) "
            f"clashes with segment {other.index} ({other.path}); use next_index()."
        )

    def get(self, index: int) -> SegmentRecord:
        """Return the segment numbered ``index``.

        Raises
        ------
        ManifestError
            If there is none.
        """
        for record in self.segments:
            if record.index == index:
                return record
        raise ManifestError(f"Movie manifest {self.path} has no segment {index}.")

    def timeline(self, include_recording: bool = False) -> list[SegmentRecord]:
        """Return the segments of the movie: the complete ones, in recording order.

        Parameters
        ----------
        include_recording
            Also return segments still marked ``"recording"`` that come after every complete
            one: the tail of a run that died and was never resumed.
        """
        ordered = sorted(self.segments, key=lambda r: r.index)
        chosen = [r for r in ordered if r.status == "complete"]
        if include_recording:
            last = chosen[-1].index if chosen else 0
            chosen += [r for r in ordered if r.status == "recording" and r.index > last]
        return chosen

    def supersede_except(self, keep: Iterable[int]) -> list[SegmentRecord]:
        """Mark every complete or recording segment whose index is not in ``keep`` superseded.

        Parameters
        ----------
        keep
            Indices of the segments on the timeline being resumed (e.g. the segment list stored
            in the checkpoint resumed from).

        Returns
        -------
        list of SegmentRecord
            The segments newly marked superseded (their files are left untouched).
        """
        kept = set(keep)
        changed = []
        for record in sorted(self.segments, key=lambda r: r.index):
            if record.status in ("complete", "recording") and record.index not in kept:
                record.status = "superseded"
                changed.append(record)
        if changed:
            _log.info("superseded movie segments %s", [r.index for r in changed])
        return changed

    def timeline_at(self, checkpoint: str) -> list[SegmentRecord]:
        """Return the timeline as it stood when ``checkpoint`` was written.

        It ends with the segment that checkpoint closed. Walking back, each earlier segment is
        the most recent closed one whose ``f_counter_end`` is the ``f_counter_start`` of the
        segment after it, so segments superseded *later* (by resuming from an even older
        checkpoint) are included, and segments superseded *before* are not. Without
        ``f_counter`` ranges, the complete segments numbered up to the closing one are used.

        Raises
        ------
        ManifestError
            If no segment was closed by ``checkpoint``; the message lists the known names.
        """
        ordered = sorted(self.segments, key=lambda r: r.index)
        closing = [r for r in ordered if r.checkpoint == checkpoint]
        if not closing:
            known = ", ".join(self.checkpoints()) or "none"
            raise ManifestError(
                f"Movie manifest {self.path}: no segment was closed by checkpoint "
                f"{checkpoint!r} (known checkpoints: {known})."
            )
        chain = [closing[-1]]
        closed = [r for r in ordered if r.status != "recording" and r.index < chain[0].index]
        if any(r.f_counter_start is None or r.f_counter_end is None for r in [*closed, chain[0]]):
            return [r for r in closed if r.status == "complete"] + chain
        ending_at: dict[int, list[SegmentRecord]] = {}
        for record in closed:  # by index, so each list is sorted by index
            ending_at.setdefault(record.f_counter_end, []).append(record)  # type: ignore[arg-type]
        indices = {end: [r.index for r in records] for end, records in ending_at.items()}
        while chain[-1].f_counter_start:
            start = chain[-1].f_counter_start
            position = bisect.bisect_left(indices.get(start, []), chain[-1].index)
            if position == 0:
                break
            chain.append(ending_at[start][position - 1])
        return chain[::-1]

    def checkpoints(self) -> list[str]:
        """Return the names of the checkpoints that closed a segment, in recording order."""
        ordered = sorted(self.segments, key=lambda r: r.index)
        return [r.checkpoint for r in ordered if r.checkpoint is not None]

    def absolute(self, record: SegmentRecord) -> Path:
        """Return the file of a segment: the manifest's folder joined with its relative path."""
        return self.folder.joinpath(*PurePosixPath(record.path).parts)

    def relative(self, file: str | os.PathLike[str]) -> str:
        """Return ``file`` as a segment path: relative to the manifest's folder, POSIX style.

        Raises
        ------
        ManifestError
            If ``file`` is not inside the manifest's folder.
        """
        try:
            rel = Path(os.path.abspath(file)).relative_to(os.path.abspath(self.folder))
        except ValueError:
            raise ManifestError(
                f"Segment file {file} is not inside the manifest's folder {self.folder}."
            ) from None
        return rel.as_posix()

    def verify_files(self, checksums: bool = False) -> None:
        """Check that every timeline segment's file exists (and, optionally, its checksum).

        Raises
        ------
        ManifestError
            Naming the first missing or altered file and what to do.
        """
        from .video.probe import sha256_file

        for record in self.timeline():
            file = self.absolute(record)
            if not file.is_file():
                raise ManifestError(
                    f"Movie segment {file} (segment {record.index} of {self.path}) is missing: "
                    "restore it, or stitch without it ('stitch-movies --skip-bad')."
                )
            if checksums and record.sha256 and sha256_file(file) != record.sha256:
                raise ManifestError(
                    f"Movie segment {file} (segment {record.index} of {self.path}) does not match "
                    "its checksum: it was changed after recording; restore it, or stitch without "
                    "it ('stitch-movies --skip-bad')."
                )
