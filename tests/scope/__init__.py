"""Tests of ``glompo_scope_chkpt.scope``: the scope's picture, its live recording and its window."""
