"""Terminal front ends over the shared session (rendering events, reading keys)."""
