"""Outbox handlers of the affiliate program (filled in by the engine)."""
