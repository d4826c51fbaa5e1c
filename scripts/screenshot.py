"""Render the main window mid-conversation to a PNG, offscreen (or under xvfb), for review.

    uv run python scripts/screenshot.py OUT.png [--large-text] [--high-contrast] [--size 1180x860] [--unready]
    uv run python scripts/screenshot.py OUT.png --dialog first-run|first-run-idle|first-run-failed|settings|settings-narrator
    uv run python scripts/screenshot.py OUT.png --scene approval|tool-output|modes|managed|narrator
    (--scene managed, and --dialog settings with --managed, run under a demo policy: network, camera off)
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def demo_frame(h: int = 240, w: int = 320) -> np.ndarray:
    """A synthetic 'camera' frame: a soft gradient with a few shapes."""
    y, x = np.mgrid[0:h, 0:w]
    rgb = np.stack([120 + 80 * x / w, 150 + 60 * y / h, 200 - 60 * x / w], axis=-1)
    rgb[(x - w * 0.35) ** 2 + (y - h * 0.55) ** 2 < (h * 0.2) ** 2] = (230, 120, 60)
    rgb[(abs(x - w * 0.7) < w * 0.1) & (abs(y - h * 0.45) < h * 0.2)] = (60, 90, 160)
    return rgb.astype(np.uint8)


def script(frame: np.ndarray) -> list[object]:
    from app.engine.messages import GenerationDone, GenerationStats, ModelLoaded, TranscriptEvent
    from app.loop.events import LoopState, MemoryStats, MicLevel, Stage, StageMark, StateChanged, TurnTimeline
    from app.conversations.store import ConversationInfo
    from app.loop.events import ConversationList, ReplyRecorded, UserSaid
    from models.base import ImageInput, Role

    stats = GenerationStats(48, 31, 0.42, 38.0, 410.0, 3.1, kv_tokens=1843, kv_bytes=5_100_000)
    reply1 = "Hi! I'm listening. Ask me anything, or show me something with the camera or your screen."
    reply2 = ("That's an orange circle next to a dark blue rectangle on a soft blue-green background — "
              "it looks like a simple diagram or a test pattern.")
    items = (ConversationInfo("c3", "", "2026-12-01T09:12:00", "2026-12-01T09:40:00"),
             ConversationInfo("c2", "Trip to Lisbon", "2026-11-29T18:02:00", "2026-11-29T18:30:00"),
             ConversationInfo("c1", "Recipe ideas", "2026-11-27T12:00:00", "2026-11-27T12:20:00"))
    events: list[object] = [
        ConversationList(items, "c3"),
        ModelLoaded(Role.VLM, "qwen3.5-4b", 6.4, supports_images=True),
        ModelLoaded(Role.TTS, "kokoro", 1.1),
        UserSaid(1, "Hello Hearth, can you hear me?", message_id="m1"),
        GenerationDone(1, reply1, stats, "stop"),
        ReplyRecorded(1, "m2", reply1),
        UserSaid(2, "What is this?", (ImageInput(rgb=frame),), message_id="m3"),
        GenerationDone(2, reply2, stats, "stop"),
        ReplyRecorded(2, "m4", reply2),
        TranscriptEvent(3, "and what colour is the", partial=True, audio_seconds=1.2),
        StateChanged(LoopState.LISTENING, 3),
        MicLevel(-18.0, voice=True),
        MemoryStats(tokens=1843, bytes=5_100_000, bf16_bytes=19_400_000, tokens_that_fit=60_300),
    ]
    for turn, (stt, first, clause, audio, done) in enumerate(
            [(0.21, 0.52, 0.71, 0.83, 2.2), (0.18, 0.95, 1.18, 1.31, 3.0)], start=1):
        marks = [StageMark(Stage.END_OF_SPEECH, 0.0), StageMark(Stage.FINAL_TRANSCRIPT, stt),
                 StageMark(Stage.FIRST_TOKEN, first), StageMark(Stage.FIRST_CLAUSE, clause),
                 StageMark(Stage.FIRST_AUDIO, audio), StageMark(Stage.REPLY_DONE, done)]
        events.append(TurnTimeline(turn, tuple(marks), cold_load_s=6.4 if turn == 1 else 0.0))
    return events


DEMO_DIFF = ("--- a/app/greet.py\n+++ b/app/greet.py\n@@ -1,6 +1,6 @@\n def greet(name: str) -> str:\n"
             "-    return f\"Helo, {name}\"\n+    return f\"Hello, {name}!\"\n \n \n def main() -> int:\n"
             "     print(greet(\"world\"))\n")


def agent_script(answered: bool) -> list[object]:
    """A coding turn: a search, a file read (long output), then an edit waiting for approval (or approved)."""
    from app.engine.messages import GenerationDone, GenerationStats, ModelLoaded
    from app.loop.events import (ApprovalGiven, ApprovalRequested, ModeChanged, ReplyRecorded, ToolFinished,
                                 ToolStarted, UserSaid)
    from app.tools.base import DisplayKind, Proposal, ProposalKind, ToolCall, ToolDisplay, ok
    from models.base import Role

    stats = GenerationStats(48, 31, 0.42, 38.0, 410.0, 3.1, kv_tokens=1843, kv_bytes=5_100_000)
    search = ToolCall("c1", "search", {"pattern": "Helo"})
    read = ToolCall("c2", "read_file", {"path": "app/greet.py"})
    edit = ToolCall("c3", "edit_file", {"path": "app/greet.py", "search": "Helo, {name}", "replace": "Hello, {name}!"})
    lines = "\n".join(f"{n:>3}  {t}" for n, t in enumerate(
        ["def greet(name: str) -> str:", '    return f"Helo, {name}"', "", "", "def main() -> int:",
         '    print(greet("world"))', "    return 0", "", "", 'if __name__ == "__main__":',
         "    raise SystemExit(main())"] + [f"# line {n}" for n in range(12, 41)], start=1))
    events: list[object] = [
        ModelLoaded(Role.VLM, "qwen3.5-4b", 6.4, supports_images=True),
        ModeChanged("coding", "Coding assistant", "/home/ana/src/greeter", ("list_files", "search", "read_file",
                                                                            "git", "edit_file", "run_command")),
        UserSaid(1, "The greeting has a typo, can you fix it?", message_id="m1"),
        GenerationDone(1, "Let me find it.", stats, "tool_calls"),
        ToolStarted(1, search, "Searching for “Helo”…"),
        ToolFinished(1, ok("c1", "search", "app/greet.py:2", ToolDisplay(DisplayKind.TEXT, "app/greet.py:2:    return f\"Helo, {name}\"", "Search results"))),
        GenerationDone(1, "", stats, "tool_calls"),
        ToolStarted(1, read, "Reading app/greet.py…"),
        ToolFinished(1, ok("c2", "read_file", lines, ToolDisplay(DisplayKind.FILE_EXCERPT, lines, "app/greet.py lines 1-40"))),
        GenerationDone(1, "Found it on line 2.", stats, "tool_calls"),
        ToolStarted(1, edit, "Editing app/greet.py…"),
        ApprovalRequested(1, edit, Proposal(ProposalKind.EDIT, "Edit app/greet.py: 1 line changed", DEMO_DIFF,
                                            ("app/greet.py",))),
    ]
    if answered:
        events += [ApprovalGiven(1, "c3", True, "yes"),
                   ToolFinished(1, ok("c3", "edit_file", "edited", ToolDisplay(DisplayKind.DIFF, DEMO_DIFF, "app/greet.py"))),
                   GenerationDone(1, "Fixed: it now says “Hello, world!”.", stats, "stop"),
                   ReplyRecorded(1, "m9", "Fixed: it now says “Hello, world!”.")]
    return events


def narrator_script() -> list[object]:
    from app.engine.messages import GenerationDone, GenerationStats, ModelLoaded
    from app.loop.events import LoopState, ModeChanged, NarrationChanged, ReplyRecorded, StateChanged, UserSaid
    from models.base import Role

    stats = GenerationStats(20, 12, 0.3, 30.0, 300.0, 1.0)
    said = "A person just came in through the door on the left. I may be wrong: it is dim."
    return [ModelLoaded(Role.VLM, "qwen3.5-4b", 6.4, supports_images=True),
            ModeChanged("narrator", "Narrator (describes the camera)", "", ()),
            NarrationChanged(True),
            UserSaid(1, "What's in front of me?", message_id="m1"),
            GenerationDone(1, "A desk with a laptop and a blue mug to its right.", stats, "stop"),
            ReplyRecorded(1, "m2", "A desk with a laptop and a blue mug to its right."),
            GenerationDone(2, said, stats, "stop"), ReplyRecorded(2, "m3", said),
            StateChanged(LoopState.SPEAKING, 2)]


DEMO_POLICY = ('network_allowed = false\ncamera_allowed = false\nallowed_modes = ["assistant", "narrator"]\n'
               'allowed_tools = ["read_file", "search"]\nretention_days = 30\n')


def use_demo_policy() -> None:
    import tempfile

    from app.policy.startup import reset_for_tests

    path = Path(tempfile.mkdtemp()) / "policy.toml"
    path.write_text(DEMO_POLICY)
    os.environ["HEARTH_POLICY"] = str(path)
    reset_for_tests()


class _NoStore:
    offline = False

    def resolve(self, model_id: str) -> None:
        from models.base import ModelError

        raise ModelError(f"{model_id} is not installed")


class _DemoStore(_NoStore):
    """Two installed models (one imported), the rest of the catalog to download."""

    def installed(self) -> list[object]:
        from models.base import Role
        from models.store import InstalledModel

        return [InstalledModel("mlx-community/Qwen3.5-4B-MLX-4bit", Path("/m/q"), 3_000_000_000, Role.VLM, "hub"),
                InstalledModel("my-llama", Path("/m/l"), 2_100_000_000, Role.LLM, "import"),
                InstalledModel("mlx-community/Kokoro-82M-bf16", Path("/m/k"), 350_000_000, Role.TTS, "hub")]


def unready_script() -> list[object]:
    """No microphone, the chat model failed to load, one typed message that could not be answered."""
    from app.engine.messages import ErrorEvent
    from app.loop.events import UserSaid

    return [ErrorEvent("Model qwen3.5-4b is not installed. Run `uv run hearth models pull qwen3.5-4b`."),
            UserSaid(1, "What's the weather like?", message_id="m1"),
            ErrorEvent("No chat model is loaded yet.", turn_id=1)]


class _DemoSession:
    running = True
    can_hear = True

    def start(self) -> None:
        pass

    def handle(self, intent: object) -> None:
        pass

    def stop(self) -> None:
        pass


def dialog_widget(name: str, settings: object) -> object:
    from app.gui.first_run import FirstRunDialog, find_missing
    from app.gui.settings_dialog import DeviceLists, SettingsDialog
    from PySide6.QtWidgets import QTabWidget

    if name in ("settings", "settings-narrator"):
        devices = DeviceLists(("MacBook Pro Microphone", "USB Headset"), ("MacBook Pro Speakers", "USB Headset"))
        from app.gui.managed import managed_view
        from app.gui.model_picker import model_choices

        dialog = SettingsDialog(settings, devices=devices, choices=lambda roles: model_choices(
            roles, _DemoStore().installed()), locked=managed_view(settings).locked)
        # the Models tab: installed first, then "download…" (or the Narrator tab)
        dialog.findChild(QTabWidget).setCurrentIndex(3 if name == "settings-narrator" else 1)
        return dialog
    from app.gui.first_run import AllDone, Finished

    dialog = FirstRunDialog(_NoStore(), find_missing(_NoStore(), settings))
    if name == "first-run-idle":  # as it opens: nothing downloads yet, so there is nothing to cancel
        return dialog
    if name == "first-run-failed":  # every failure of the run is listed, not only the last
        for model, why in (("qwen3.5-4b", "can't reach the Hugging Face hub; check the network."),
                           ("whisper-turbo", "can't reach the Hugging Face hub; check the network."),
                           ("kokoro", "the disk is full (needs 0.35 GB).")):
            dialog._on_finished(Finished(model, why))
        dialog._on_all_done(AllDone())
        return dialog
    dialog.table.topLevelItem(0).setText(3, "1.2 GB of 3.0 GB")
    dialog._set_busy(True, None)  # as while a download runs: Cancel shown, Download and Import disabled
    dialog.cancel_button.show()
    dialog.progress.setRange(0, 1000)
    dialog.progress.setValue(400)
    dialog.status.setText("Downloading qwen3.5-4b…")
    return dialog


def play_scene(app: object, window: object, scene: str, unready: bool, frame: np.ndarray) -> None:
    """Post the scene's events to the window (and unfold what the scene shows unfolded)."""
    scenes = {"approval": lambda: agent_script(False), "tool-output": lambda: agent_script(True),
              "modes": lambda: agent_script(True), "narrator": narrator_script, "managed": lambda: script(frame)}
    events = unready_script() if unready else scenes[scene]() if scene else script(frame)
    for event in events:
        window.bridge.post(event)
    app.processEvents()
    if scene == "tool-output":  # the long file excerpt unfolded
        from app.gui.tool_views import ToolStep

        steps = [b for b in window.conversation.blocks() if isinstance(b, ToolStep)]
        steps[1].output.set_expanded(True)
        for _ in range(3):
            app.processEvents()
        window.conversation._at_bottom = False
        window.conversation.ensureWidgetVisible(steps[1].output, 50, 10)


def render(out: Path, large: bool, contrast: bool, size: tuple[int, int], dialog: str | None = None,
           unready: bool = False, scene: str = "", managed: bool = False) -> None:
    if not os.environ.get("DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from app.gui.bridge import Bridge
    from app.gui.main_window import MainWindow
    from app.gui.theme import apply_theme
    from app.config.settings import Settings, UiSettings

    if managed or scene == "managed":
        use_demo_policy()
    app = QApplication.instance() or QApplication([sys.argv[0]])
    settings = Settings(ui=UiSettings(large_text=large, high_contrast=contrast))
    apply_theme(app, settings.ui)
    if dialog:
        widget = dialog_widget(dialog, settings)
        widget.show()
        for _ in range(5):
            app.processEvents()
        widget.grab().save(str(out))
        print(f"wrote {out}")
        return
    bridge = Bridge()
    session = _DemoSession()
    session.can_hear = not unready
    window = MainWindow(session, bridge, settings, store=_DemoStore())
    window.resize(*size)
    frame = demo_frame()
    window.preview.show_frame(frame)
    play_scene(app, window, scene, unready, frame)
    if unready:
        window.compose.text.setText("What's the weather like?")  # the unanswered message came back
    window.show()
    app.processEvents()
    window.resize(*size)  # again: the minimum size is known once the window is shown with its styles
    for _ in range(5):
        app.processEvents()
    window.grab().save(str(out))
    print(f"wrote {out}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--large-text", action="store_true")
    parser.add_argument("--high-contrast", action="store_true")
    parser.add_argument("--size", default="1180x860", help="window size WxH")
    parser.add_argument("--unready", action="store_true", help="no microphone, no chat model, an unanswered message")
    parser.add_argument("--dialog", choices=("first-run", "first-run-idle", "first-run-failed", "settings",
                                             "settings-narrator"), help="render this dialog instead")
    parser.add_argument("--scene", choices=("approval", "tool-output", "modes", "managed", "narrator"), default="")
    parser.add_argument("--managed", action="store_true", help="under a demo organization policy")
    args = parser.parse_args()
    w, h = (int(v) for v in args.size.lower().split("x"))
    render(args.out, args.large_text, args.high_contrast, (w, h), args.dialog, args.unready, args.scene, args.managed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
