"""Settings and where Hearth keeps its files."""
