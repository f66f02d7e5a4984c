"""The live scope: the picture of the run (plot, series, title, cursor), its window and renderer."""
