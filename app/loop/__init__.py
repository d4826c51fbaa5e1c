"""The voice loop: a pure state machine (machine.py over vocabulary.py), per-turn state, and the session thread."""
