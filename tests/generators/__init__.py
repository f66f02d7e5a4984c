"""Tests of ``glompo_scope_chkpt.generators``: the start points of new optimizers."""
