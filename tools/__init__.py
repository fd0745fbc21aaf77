"""Tools for developing orderbridge, not part of the installed package: the benchmark, the fault run, screenshots."""
