"""The live playlist: the movie's timeline as an HLS playlist any player can follow.

``movie.m3u8`` lies beside the movie manifest and is rewritten, atomically, every time the
manifest is saved (:meth:`~.manifest.Manifest.save` calls :func:`write_playlist`). It is an HLS
media playlist of type ``EVENT`` listing the closed segments of the timeline in order, each with
its exact duration; superseded segments and the segment being recorded are never listed, and
``#EXT-X-ENDLIST`` closes it once the run has ended. ``ffplay``, mpv, VLC or ``ffmpeg -i``
pointed at it play the run so far, during the job, after a kill or after the end, with no
stitching.

Notes
-----
The one concern of this module is the text of the playlist and writing it. What players need,
measured with ffmpeg 9 and read in RFC 8216:

* Timestamps must go on from one segment to the next. ffmpeg ignores
  ``#EXT-X-DISCONTINUITY`` and only guesses where timestamps restart: with every segment's
  clock starting again (at 1.4 s), a playlist of short segments lost frames. So each segment's
  timestamps begin where the timeline before it ends (the segment writer's ``start``), and the
  tag (RFC 8216 section 4.3.2.3) marks only the joins where the encoding may change: where a
  session resumed (e.g. with another ``dpi``), or the size, frame rate or codec differ.
* URIs are relative to the playlist (the run folder can move) and percent-encoded where a
  character is not allowed in a URI. ffmpeg opens local URIs literally: a segment whose name
  needs encoding (a checkpoint named with a space or ``%``) plays over HTTP but not from a local
  folder in ffmpeg.
* A playlist without ``#EXT-X-ENDLIST`` is live: players start near its end and wait for new
  segments (``ffmpeg -live_start_index 0`` starts at the first one).
* ``#EXT-X-TARGETDURATION`` is the longest segment's duration rounded; a later, longer segment
  raises it (segments follow the checkpoints, whose spacing nothing bounds).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from .._disk import naming_disk
from .._fileio import atomic_write_text
from .._run_files import PLAYLIST_FILENAME
from ..errors import ManifestDiskError

if TYPE_CHECKING:
    from .manifest import Manifest
    from .segment_record import SegmentRecord

__all__ = ["playlist_path", "playlist_text", "write_playlist"]

_URI_SAFE = "/!$&'()*+,;=:@-._~"
"""Characters a relative URI path may hold as they are (RFC 3986 ``pchar`` and ``/``)."""


def playlist_path(manifest: Manifest) -> Path:
    """Return the playlist of ``manifest``: ``movie.m3u8`` in the manifest's folder."""
    return manifest.folder / PLAYLIST_FILENAME


def _title(record: SegmentRecord) -> str:
    """The segment's title in ``#EXTINF``: its session and the checkpoint that closed it."""
    parts = [f"segment {record.index}"]
    if record.session is not None:
        parts.append(f"session {record.session}")
    if record.checkpoint is not None:
        parts.append(f"checkpoint {record.checkpoint}")
    return ", ".join(parts).replace("\r", " ").replace("\n", " ")


def _discontinuous(before: SegmentRecord, after: SegmentRecord) -> bool:
    """Whether the encoding may change between two segments: a resume, or other parameters."""
    a, b = before.video, after.video
    assert a is not None and b is not None  # only described segments are listed
    encoding = (a.width, a.height, a.fps, a.codec)
    return before.session != after.session or encoding != (b.width, b.height, b.fps, b.codec)


def playlist_text(manifest: Manifest) -> str:
    """Return the playlist of the manifest's timeline as it stands.

    Only closed segments of the timeline whose duration is known are listed; ``ended`` on the
    manifest adds ``#EXT-X-ENDLIST``.
    """
    segments = [r for r in manifest.timeline() if r.video is not None]
    longest = max((r.video.duration for r in segments if r.video is not None), default=1.0)
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:3",
        "#EXT-X-PLAYLIST-TYPE:EVENT",
        f"#EXT-X-TARGETDURATION:{max(1, math.floor(longest + 0.5))}",
        "#EXT-X-MEDIA-SEQUENCE:0",
        "#EXT-X-INDEPENDENT-SEGMENTS",
    ]
    for position, record in enumerate(segments):
        assert record.video is not None  # filtered above
        if position and _discontinuous(segments[position - 1], record):
            lines.append("#EXT-X-DISCONTINUITY")
        lines.append(f"#EXTINF:{record.video.duration:.6f},{_title(record)}")
        lines.append(quote(record.path, safe=_URI_SAFE))
    if manifest.ended:
        lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


def write_playlist(manifest: Manifest) -> Path:
    """Write the playlist of ``manifest`` atomically (temporary file, fsync, rename).

    Returns
    -------
    Path
        The playlist file.

    Raises
    ------
    ManifestDiskError
        If the disk refuses the write; the previous playlist is left as it was.
    OSError
        If the playlist cannot be written otherwise.
    """
    path = playlist_path(manifest)
    with naming_disk(ManifestDiskError, "the movie playlist", path):
        atomic_write_text(path, playlist_text(manifest))
    return path
