"""Tests of ``glompo_scope_chkpt.movie``: segments, probing, the manifest and stitching."""
