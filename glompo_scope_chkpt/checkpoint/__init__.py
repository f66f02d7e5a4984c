"""The run on disk: writing a checkpoint in its one order, its archive, and finding checkpoints."""
