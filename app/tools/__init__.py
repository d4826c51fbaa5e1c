"""Tools the agent may call: one file per tool, each registered by name (see registry.py and base.py)."""
