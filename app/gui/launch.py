"""Starting the desktop app: settings, theme, first-run check, session, window. Never a hang or a crash without
models: missing ones open the first-run dialog, and anything still missing becomes a banner with the fix."""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from typing import Any, Callable

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from app.gui.bridge import Bridge, NullSession, SessionPort
from app.gui.first_run import FirstRunDialog, Save, StorePort, adopt_marker, find_missing, remember_dismissed, was_dismissed
from app.gui.main_window import MainWindow
from app.gui.preview_panel import SharedFrame
from app.gui.theme import apply_theme
from app.config.saving import try_save_settings
from app.config.settings import ListenMode, Settings, load_settings

Sink = Callable[[object], None]
SessionFactory = Callable[[Settings, Sink, SharedFrame], SessionPort]


@dataclass(frozen=True)
class VoicePorts:
    """Hearing and speaking ports of the session (app/ports/base.py); None where unavailable."""

    hearing: Any = None
    audio_out: Any = None


def display_problem() -> str:
    """Why Qt cannot open a window here ("" when it can): Qt aborts the process instead of raising."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return ""
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return ""
    return ("No display found for the desktop app. Use `hearth chat` in a terminal, or run it in a desktop "
            "session (or set QT_QPA_PLATFORM=offscreen for a headless check).")


CLI_HINT = re.compile(r",? or (?:pass an audio file with|use) --\w+ FILE\.wav")


def for_the_app(text: str) -> str:
    """A message of the audio layer without the terminal's flags (the app has no --in / --out)."""
    return CLI_HINT.sub("", text)


def mic_problem(exc: Exception, configured: str) -> str:
    from audio.types import DeviceNotFound

    if isinstance(exc, DeviceNotFound) and not configured:
        return ("No microphone found. Plug one in (or enable it in the system sound settings) and restart Hearth. "
                "Typing works meanwhile.")
    return f"{for_the_app(str(exc))} Typing still works."


def live_voice(settings: Settings, sink: Sink) -> VoicePorts:
    """Microphone and speaker ports, or none (typed chat still works) with a notice saying why."""
    from app.gui.gui_hearing import DualEndpointer, GuiHearing
    from app.loop.events import Notice
    from app.ports.live import PlayerOut
    from app.terminal.voice import endpoint_config
    from audio.capture import MicrophoneSource
    from audio.pipeline import build_hearing
    from audio.playback import Player, SoundDeviceBackend
    from audio.types import AudioError

    a = settings.audio
    try:
        mic = MicrophoneSource(a.input_device or None, on_notice=lambda n: sink(Notice(n.message)))
        cfg = endpoint_config(settings)
        pipeline, notes = build_hearing(mic, cfg, aec_backend="webrtc" if a.echo_cancellation else "none")
        endpointer = DualEndpointer(pipeline.endpointer.vad, cfg, hands_free=a.mode is ListenMode.HANDS_FREE)
        player = Player(24000, on_far_end=pipeline.aec.push_far_end, volume=settings.voice.volume)
        out = PlayerOut(player, SoundDeviceBackend(a.output_device or None))
    except (AudioError, OSError) as exc:
        sink(Notice(mic_problem(exc, a.input_device)))
        return VoicePorts()
    for note in notes:
        sink(Notice(for_the_app(note)))
    return VoicePorts(GuiHearing(pipeline, endpointer), out)


class StartWith:
    """A session whose ``start`` also queues the model loads (app/loop/session.py takes them as an argument).
    ``can_hear``: whether it has a microphone (the window disables the talk controls without one)."""

    running = True

    def __init__(self, session: Any, models: tuple[Any, ...], can_hear: bool = False) -> None:
        self.session, self.models, self.can_hear = session, models, can_hear

    def start(self) -> None:
        self.session.start(self.models)

    def handle(self, intent: object) -> None:
        self.session.handle(intent)

    def stop(self) -> None:
        self.session.stop()


def real_session(settings: Settings, sink: Sink, frames: SharedFrame, ports: VoicePorts | None = None) -> SessionPort:
    """The shared session (app/loop/builder.py) over the devices' voice ports; the preview is its frame source; the
    window reopens the last conversation (setting ``conversation.resume_last``)."""
    from app.loop.book import ConversationChoice, Start
    from dataclasses import replace

    from app.loop.builder import Ports, SessionSpec, SetupError, build_session
    from app.loop.events import Notice

    ports = live_voice(settings, sink) if ports is None else ports
    choice = ConversationChoice(Start.LATEST if settings.conversation.resume_last else Start.NEW)
    spec = SessionSpec(hands_free=settings.audio.mode is ListenMode.HANDS_FREE, choice=choice)
    try:
        session, loads = build_session(settings, sink, Ports(ports.hearing, ports.audio_out, frames), spec)
    except SetupError as exc:  # e.g. coding mode without a folder: open in the assistant mode and say why
        sink(Notice(f"{exc} Hearth opened in the assistant mode; pick the mode again under Mode."))
        spec = replace(spec, mode="assistant")
        session, loads = build_session(settings, sink, Ports(ports.hearing, ports.audio_out, frames), spec)
    return StartWith(session, loads, can_hear=ports.hearing is not None)


def make_session(factory: SessionFactory, settings: Settings, bridge: Bridge,
                 frames: SharedFrame) -> tuple[SessionPort, str]:
    """The session, or a stand-in plus the reason it could not be built."""
    try:
        return factory(settings, bridge.post, frames), ""
    except ImportError:
        why = "The voice loop is not available in this build; run `hearth chat` meanwhile."
    except Exception as exc:  # noqa: BLE001 - any start-up failure becomes a banner, not a traceback
        why = f"Hearth could not start its conversation engine ({exc}). Run `hearth doctor`."
    return NullSession(why), why


def save_settings(new: Settings, base: Settings) -> object:
    """Only what changed since ``base`` is written (the user's file kept as written); ``Saved`` or ``SaveFailed``.
    A saved change goes to the audit log (on a managed desk; a no-op otherwise)."""
    from app.audit.events import record_settings_change
    from app.config.saving import Saved
    from app.policy.startup import current

    result = try_save_settings(new, base=base)
    if isinstance(result, Saved):
        record_settings_change(current().audit, base, new)
    return result


def first_run(store: StorePort, settings: Settings, save: Save | None = None) -> tuple[list[str], Settings]:
    """Open the first-run dialog (modal) when configured models are missing, unless the user chose "Continue
    without" before (remembered). Returns the names still missing and the settings (with that choice)."""
    settings = adopt_marker(settings, save)
    missing = find_missing(store, settings)
    if not missing:
        return [], settings
    if was_dismissed(settings):
        return [m.name for m in missing], settings
    if FirstRunDialog(store, missing).exec() != FirstRunDialog.DialogCode.Accepted:
        settings = remember_dismissed(settings, save)
    return [m.name for m in find_missing(store, settings)], settings


def build_window(settings: Settings, problems: list[str], factory: SessionFactory, store: StorePort | None = None,
                 missing: tuple[str, ...] = ()) -> MainWindow:
    bridge = Bridge()
    frames = SharedFrame()
    session, failure = make_session(factory, settings, bridge, frames)
    window = MainWindow(session, bridge, settings, save_settings=save_settings, frames=frames, store=store,
                        missing=missing)
    bridge.setParent(window)
    for message in problems + ([failure] if failure else []):
        window.banner.show_message(message)
    QTimer.singleShot(0, session.start)  # after the window shows; start only queues model loads
    return window


def run_app(argv: list[str] | None = None, factory: SessionFactory = real_session) -> int:
    problem = display_problem()
    if problem:
        print(problem, file=sys.stderr)
        return 2
    app = QApplication.instance() or QApplication(argv or [sys.argv[0]])
    app.setApplicationName("Hearth")
    loaded = load_settings()
    apply_theme(app, loaded.settings.ui)
    from app.engine.runtime import build_store

    store = build_store(loaded.settings)
    still_missing, settings = first_run(store, loaded.settings, save_settings)
    notes = [p.message for p in loaded.problems]
    if still_missing:
        notes.append(f"Not installed yet: {', '.join(still_missing)}. Pick installed models under Models (the "
                     "list shows them first), or choose one marked “download…” to get it.")
    window = build_window(settings, notes, factory, store=store, missing=tuple(still_missing))
    window.show()
    return app.exec()
