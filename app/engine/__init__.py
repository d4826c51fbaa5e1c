"""The engine thread and what crosses into it: requests/events, token-stepped jobs, wiring from settings."""
