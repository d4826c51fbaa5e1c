"""The one doorway from background threads into the GUI (invariant 3).

Any thread calls :meth:`Bridge.post` with a frozen event; Qt queues the signal to the bridge's (GUI) thread, where
:meth:`Bridge._dispatch` looks the event's type up in a table of handlers. Handlers run on the GUI thread only, so
they may touch widgets; they must not block.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Callable, Protocol

from PySide6.QtCore import QObject, Qt, Signal, Slot

Handler = Callable[[Any], None]


class SessionPort(Protocol):
    """What the GUI needs from a session (app/loop/session.py's ``Session`` fits; tests use a fake).

    ``handle`` is thread-safe and returns at once; the session answers by calling the sink it was built with.
    Optional attributes the window reads: ``running`` (False: nothing will answer), ``can_hear`` (a microphone).
    """

    def start(self) -> None: ...

    def handle(self, intent: object) -> None: ...

    def stop(self) -> None: ...


class NullSession:
    """Stands in when no session could be built: intents go nowhere, so the window still opens (and says why on
    every message it cannot send)."""

    running = False
    can_hear = False

    def __init__(self, reason: str = "Hearth's conversation engine is not running.") -> None:
        self.reason = reason

    def start(self) -> None:
        pass

    def handle(self, intent: object) -> None:
        pass

    def stop(self) -> None:
        pass


class Bridge(QObject):
    """Thread-safe event inlet: ``post`` from anywhere, handlers run on the GUI thread in arrival order."""

    received = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._handlers: dict[type, list[Handler]] = defaultdict(list)
        self._fallbacks: list[Handler] = []
        self.received.connect(self._dispatch, Qt.ConnectionType.QueuedConnection)

    def post(self, event: object) -> None:
        """Called from any thread (a session or engine sink): never blocks, never touches a widget."""
        self.received.emit(event)

    def on(self, event_type: type, handler: Handler) -> None:
        """Run ``handler(event)`` on the GUI thread for every event of exactly ``event_type``."""
        self._handlers[event_type].append(handler)

    def on_unhandled(self, handler: Handler) -> None:
        self._fallbacks.append(handler)

    def clear(self) -> None:
        """Drop all handlers: breaks the widget → bridge → handler → widget cycle so widgets die
        deterministically (a cycle collected later by Python's GC can crash Qt mid-dispatch)."""
        self._handlers.clear()
        self._fallbacks.clear()

    @Slot(object)
    def _dispatch(self, event: object) -> None:
        handlers = self._handlers.get(type(event)) or self._fallbacks
        for handler in handlers:
            handler(event)
