"""Work-around for a PySide6 6.12.0 bug on Python 3.10/3.11: every call of a Qt method returning ``void``
(``setText``, ``update``, ``resize``...) releases one reference to ``None`` that it never took (the binding assumes
Python 3.12's immortal ``None``), and some paths do the same to ``True``/``False``. After a few thousand calls the
count reaches zero and the process aborts ("Fatal Python error: none_dealloc"), mid-session or at exit.

:func:`guard` detects the leak and, only when present, gives ``None``/``True``/``False`` a reference count no run
can exhaust (what Python 3.12 does for them anyway). Remove this module once the project is on Python >= 3.12 or a
fixed PySide6.
"""

from __future__ import annotations

import ctypes
import sys

HEADROOM = 1 << 40  # a trillion releases
_applied = False


def leaks_none() -> bool:
    """True when a void Qt call drops a reference to None (the PySide6 6.12.0 bug on Python < 3.12)."""
    if sys.version_info >= (3, 12):
        return False  # None is immortal there
    from PySide6.QtCore import QObject

    probe = QObject()
    before = sys.getrefcount(None)
    for _ in range(20):
        probe.setObjectName("probe")
    return sys.getrefcount(None) < before - 10


def guard() -> bool:
    """Apply the work-around once if needed; returns whether it is in effect."""
    global _applied
    if not _applied and leaks_none():
        for singleton in (None, True, False):
            ctypes.c_ssize_t.from_address(id(singleton)).value += HEADROOM
        _applied = True
    return _applied
