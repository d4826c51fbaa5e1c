"""Every front end runs the one shared Session: none steps a conversation itself or assembles its own session."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FRONT_ENDS = ["app/commands", "app/terminal", "app/gui"]
# what stepping a conversation outside the session would need
FORBIDDEN = {"app.loop.machine", "app.conversations.transcript", "app.engine.client"}
ALLOWED = {"app/commands/say.py", "app/commands/listen.py"}  # one-off speech / hearing, no conversation


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return names


def constructs_session(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "Session":
            return True
    return False


def front_end_files() -> list[Path]:
    return [p for d in FRONT_ENDS for p in sorted((ROOT / d).rglob("*.py"))]


def test_front_ends_do_not_step_conversations_themselves():
    files = front_end_files()
    assert len(files) > 10
    for path in files:
        rel = str(path.relative_to(ROOT))
        if rel in ALLOWED:
            continue
        bad = imported_modules(path) & FORBIDDEN
        assert not bad, f"{rel} imports {sorted(bad)}: front ends post intents to the shared Session"
        assert not constructs_session(path), f"{rel} builds a Session itself: use app.loop.builder.build_session"


def test_the_checker_sees_a_violation(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from app.loop.machine import step\nfrom app.loop.session import Session\ns = Session(1)\n")
    assert imported_modules(bad) & FORBIDDEN and constructs_session(bad)
