"""The live scope: plot, movie segments, manifest and stitching."""
