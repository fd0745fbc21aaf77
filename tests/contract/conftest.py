"""Contract-test fixtures: the carrier simulators' world (carrier_world.py), in-process and over a socket."""

from carrier_world import carrier_server, local_world, world

__all__ = ["carrier_server", "local_world", "world"]
