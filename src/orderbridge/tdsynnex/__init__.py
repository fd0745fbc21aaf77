"""tdsynnex."""
