"""The history files of a run, as the manager writes them: every record appended once.

:class:`HistoryJournal` is the :class:`~glompo_scope_chkpt.core.history.HistorySink` of the
run's history. It buffers each record it is handed, writes the buffers out while the files are
open (a session, or a checkpoint taken outside one), and at each checkpoint makes them durable
and returns their :class:`~.format.HistoryMark`: what the checkpoint stores instead of the
history itself. Its cost is proportional to what was appended since the last checkpoint.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from ..._run_files import HISTORY_MARKERS_FILENAME, HISTORY_POINTS_FILENAME
from ..history import History, Marker
from .appendfile import AppendFile
from .format import POINT, HistoryMark, encode_marker, header, marker_lines, point_chunks

__all__ = ["HistoryJournal"]


class HistoryJournal:
    """Appends a run's history to its two files; settles them to the run when opened.

    Parameters
    ----------
    key
        The run's key, written in the files' headers.
    history
        The run's history; the journal becomes its sink.
    origin
        The checkpoint the run was loaded from (names the files where records after it are
        moved aside), or ``None`` for a new run.
    mark, digests, trusted
        For a loaded run: the checkpoint's mark, the two running hashes of that prefix, and the
        folder whose files were checked to hold it (``None`` if they came from the archive).
    """

    def __init__(
        self,
        key: str,
        history: History,
        origin: str | None = None,
        mark: HistoryMark | None = None,
        digests: tuple[hashlib._Hash, hashlib._Hash] | None = None,
        trusted: Path | None = None,
    ) -> None:
        self.history, self.origin = history, origin
        sizes = (0, 0) if mark is None else (mark.points_bytes, mark.markers_bytes)
        hashes = digests if digests is not None else (None, None)
        self._files = tuple(
            AppendFile(
                name,
                header(kind, key),
                functools.partial(header, kind, key),
                size,
                digest,
                None if trusted is None else trusted / name,
            )
            for name, kind, size, digest in zip(
                (HISTORY_POINTS_FILENAME, HISTORY_MARKERS_FILENAME),
                ("points", "markers"),
                sizes,
                hashes,
                strict=True,
            )
        )
        history.sink = self

    @classmethod
    def of(cls, history: History, key: str) -> HistoryJournal:
        """The journal of ``history``, made (for a new run) if it has none."""
        sink = history.sink
        return sink if isinstance(sink, HistoryJournal) else cls(key, history)

    @property
    def is_open(self) -> bool:
        """Whether the files are open for appending."""
        return self._files[0].is_open

    @property
    def folder(self) -> Path | None:
        """Where the files were last opened, or ``None``."""
        path = self._files[0].path
        return None if path is None else path.parent

    def point(self, opt_id: int, call_id: int, fx: float) -> None:
        """Append one evaluation."""
        self._files[0].append(POINT.pack(call_id, fx, opt_id))

    def marker(self, marker: Marker) -> None:
        """Append one marker."""
        self._files[1].append(encode_marker(marker))

    def open(self, folder: Path) -> None:
        """Open the files in ``folder``, settled to the run's history (see :mod:`.appendfile`).

        Raises
        ------
        OSError
            If a file cannot be settled or opened.
        """
        label = self.origin or "new-run"
        points, markers = self._files
        points.open(folder, label, lambda: point_chunks(self.history))
        markers.open(folder, label, lambda: marker_lines(self.history))

    def sync(self) -> HistoryMark:
        """Write out what is buffered, make both files durable and return their mark.

        Raises
        ------
        OSError
            If a file cannot be written or flushed.
        RuntimeError
            If the files are not open.
        """
        points, markers = self._files
        points_sha256, markers_sha256 = points.sync(), markers.sync()
        return HistoryMark(points.size, markers.size, points_sha256, markers_sha256)

    def prefix(self) -> dict[str, bytes]:
        """The content of each file as of the last :meth:`sync`, by file name."""
        return {file.name: file.prefix() for file in self._files}

    def close(self) -> None:
        """Write out what is buffered, make the files durable and close them (idempotent)."""
        try:
            self._files[0].close()
        finally:
            self._files[1].close()
