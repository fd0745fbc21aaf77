"""CLI commands that live beside the feature they drive; `cli.py` registers each with one line."""
