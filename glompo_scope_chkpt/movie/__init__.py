"""The movie's files: segments, their probe, the manifest, the timeline and stitching."""
