"""Turning a streamed reply into speakable clauses and plain words."""
