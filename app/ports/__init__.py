"""What the session needs from the outside world (audio out, hearing, frames) and its implementations."""
