"""Tests of ``glompo_scope_chkpt.checkpoint``: the checkpoint archives."""
