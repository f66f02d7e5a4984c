"""Tests of ``glompo_scope_chkpt.log``: the HDF5 log and the summaries."""
