"""`python -m tools.screenshots docs/`: PNGs of the dashboard over real engine output."""
