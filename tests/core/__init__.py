"""Tests of ``glompo_scope_chkpt.core``: the manager, its settings and its checkpointing control."""
