"""Tests of ``glompo_scope_chkpt.cli``: the ``run`` and ``stitch-movies`` commands."""
