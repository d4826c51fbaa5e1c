"""The desktop app (PySide6): a bridge turns session/engine events into Qt signals on the GUI thread; one file per
panel; widgets render state and emit intents (app/loop/events.py), never calling a model themselves."""

from app.gui.refcount_guard import guard

guard()  # PySide6 6.12.0 on Python < 3.12 over-releases None: see refcount_guard.py
