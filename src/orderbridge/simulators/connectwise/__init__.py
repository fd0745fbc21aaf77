"""simulators/connectwise."""
