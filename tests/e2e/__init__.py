"""End-to-end tests: whole runs on SLURM, MPI and Dask, under kills, the demo, GloMPO's failures."""
