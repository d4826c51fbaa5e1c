"""Ending `hearth chat` / `hearth voice`: a Ctrl-C says it is stopping, a second one quits at once, and a session
still busy at its deadline does not keep the terminal waiting."""

from __future__ import annotations

import io
import signal

import pytest

from app.terminal.stopping import stop_session


class _Quit(Exception):
    pass


class _Session:
    def __init__(self, clean: bool = True, interrupt: bool = False) -> None:
        self.clean, self.interrupt, self.stopped = clean, interrupt, False

    def stop(self) -> bool:
        if self.interrupt:
            signal.raise_signal(signal.SIGINT)  # the user presses Ctrl-C again while the session stops
        self.stopped = True
        return self.clean


def _quitter(codes: list[int]):
    def quit_now(code: int) -> None:
        codes.append(code)
        raise _Quit

    return quit_now


def test_a_clean_stop_after_ctrl_c_says_so_and_does_not_quit():
    err, codes, before = io.StringIO(), [], signal.getsignal(signal.SIGINT)
    session = _Session()
    stop_session(session, err, interrupted=True, code=0, quit_now=_quitter(codes))
    assert session.stopped and codes == []
    assert "Stopping" in err.getvalue() and "Ctrl-C again" in err.getvalue()
    assert signal.getsignal(signal.SIGINT) is before  # the usual Ctrl-C handling is back


def test_a_second_ctrl_c_quits_at_once_with_130():
    err, codes, before = io.StringIO(), [], signal.getsignal(signal.SIGINT)
    with pytest.raises(_Quit):
        stop_session(_Session(interrupt=True), err, interrupted=True, code=0, quit_now=_quitter(codes))
    assert codes == [130]
    assert "saved up to its last complete message" in err.getvalue()
    assert signal.getsignal(signal.SIGINT) is before


def test_a_session_busy_at_its_deadline_quits_after_ctrl_c():
    err, codes = io.StringIO(), []
    with pytest.raises(_Quit):
        stop_session(_Session(clean=False), err, interrupted=True, code=0, quit_now=_quitter(codes))
    assert codes == [130] and "still busy" in err.getvalue()


def test_an_ordinary_end_is_not_announced_and_never_cut_short():
    err, codes = io.StringIO(), []
    stop_session(_Session(clean=False), err, interrupted=False, code=0, quit_now=_quitter(codes))
    assert codes == [] and err.getvalue() == ""  # end of input or /quit: the usual exit, whatever it takes
