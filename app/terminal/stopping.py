"""Ending a terminal session: say that it is stopping, and let a second Ctrl-C quit at once.

Stopping waits for the engine to finish its current step and write the conversation's KV snapshot. That is usually
well under a second, but a model that is still loading cannot be interrupted. Every complete message is already on
disk (the transcript is fsync'd per message), so quitting at once loses nothing the user made: only the snapshot,
which the next start rebuilds from the transcript.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from typing import Callable, Protocol, TextIO


class Stoppable(Protocol):
    def stop(self) -> bool: ...


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass


def _quit_now(code: int) -> None:
    _flush()
    os._exit(code)


def stop_session(session: Stoppable, err: TextIO, interrupted: bool, code: int,
                 quit_now: Callable[[int], None] = _quit_now) -> None:
    """Stop ``session``; after a Ctrl-C say so first. After a Ctrl-C, a second one meanwhile or a session still busy
    at its deadline ends the process at once (exit code 130). An ordinary end (end of input, /quit) returns as usual."""
    if interrupted:
        print("\nStopping… (Ctrl-C again to quit at once)", file=err, flush=True)
    exit_code = 130 if interrupted else code
    main = threading.current_thread() is threading.main_thread()
    previous = signal.getsignal(signal.SIGINT) if main else None

    def again(_signum: int, _frame: object) -> None:
        print("Quit without waiting; the conversation is saved up to its last complete message.", file=err,
              flush=True)
        quit_now(exit_code)

    if main:
        signal.signal(signal.SIGINT, again)
    try:
        clean = session.stop()
    finally:
        if main:
            signal.signal(signal.SIGINT, previous)
    if not clean and interrupted:  # the user asked to leave: a model load that cannot be cut short must not hold it
        print("The engine is still busy (a model is loading); quitting without waiting for it.", file=err, flush=True)
        quit_now(exit_code)
