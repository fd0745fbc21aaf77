"""connectwise."""
