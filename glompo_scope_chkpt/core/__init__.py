"""The run in memory: the manager facade, its settings and state, and the loop that drives it.

GloMPO's paths answer here: ``glompo_scope_chkpt.core.manager.GloMPOManager`` and
``glompo_scope_chkpt.core.checkpointing.CheckpointingControl``.
"""
