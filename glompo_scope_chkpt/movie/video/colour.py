"""The colours of every movie: BT.709, limited range, converted so and tagged so.

matplotlib draws sRGB pixels. Converted to YUV with ffmpeg's default (BT.601) and left untagged,
they are read back by browsers and mpv as BT.709: matplotlib's green (44, 160, 44) showed as
(34, 142, 44). Converting with the BT.709 matrix into limited range, and tagging the stream with
what it is (matrix, primaries, transfer, range: carried in H.264's VUI, so the MPEG-TS segments,
a stream copy into MP4 or MKV and a re-encode all keep it), makes every player decode the
figure's colours within a few levels.
"""

from __future__ import annotations

__all__ = ["PIX_FMT", "SCALE_TO_OURS", "TAGS", "from_rgb_filter", "tagging_filters"]

PIX_FMT = "yuv420p"
"""Pixel format of every movie (H.264 in yuv420p plays everywhere)."""

TAGS = {
    "colorspace": "bt709",
    "color_primaries": "bt709",
    "color_trc": "bt709",
    "range": "tv",
}
"""The colour description written into the stream (ffmpeg ``setparams`` names)."""


def _setparams() -> str:
    return "setparams=" + ":".join(f"{key}={value}" for key, value in TAGS.items())


def from_rgb_filter() -> str:
    """The ffmpeg ``-vf`` chain turning the renderer's RGBA frames into tagged BT.709 video."""
    return f"scale=out_color_matrix=bt709:out_range=tv,format={PIX_FMT},{_setparams()}"


SCALE_TO_OURS = {
    "in_color_matrix": "auto",
    "in_range": "auto",
    "out_color_matrix": "bt709",
    "out_range": "tv",
}
"""Options of a ``scale`` filter that reads any decoded video by its own tags into ours."""


def tagging_filters() -> list[tuple[str, dict[str, str]]]:
    """``(filter, options)`` steps after such a ``scale``: our pixel format, then our tags."""
    return [("format", {"pix_fmts": PIX_FMT}), ("setparams", dict(TAGS))]
