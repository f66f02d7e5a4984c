"""One movie file: writing a segment through ffmpeg, its colours, describing and probing it."""
