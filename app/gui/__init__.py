"""The desktop app (PySide6): a bridge turns session/engine events into Qt signals on the GUI thread; one file per
panel; widgets render state and emit intents (app/session_events.py), never calling a model themselves."""
