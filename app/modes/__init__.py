"""Modes: one file per mode (a frozen Mode value registered by name); see base.py and registry.py."""
