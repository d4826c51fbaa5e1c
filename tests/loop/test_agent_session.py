"""The coding agent through the real Session, state machine, engine thread and tool worker, with a scripted chat
model that writes the tiny qwen3_5 template's tool-call format: search → read → propose edit → approve → run tests
→ summary; a rejected edit changes nothing; barge-in cancels a running tool; a spoken "yes" inside a sentence is no
approval."""

from __future__ import annotations

import queue
import subprocess
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Iterator

import pytest

from app.config.settings import Settings
from app.engine.messages import ErrorEvent
from app.engine.thread import Engine
from app.loop.builder import Ports, SessionSpec, build_session
from app.loop.events import ApprovalRequested, Notice, SendText, StopReply, ToolFinished, ToolStarted, TurnTimeline
from app.loop.vocabulary import ApprovalAnswer, UserInput
from models.base import ChatRequest, EncodedPrompt, ModelInfo, Role, SamplingParams, TokenPiece
from models.tool_format import AssistantToolCalls, ToolFormat, ToolReply
from tests.tools.conftest import MAIN_PY, PY, repo  # noqa: F401 - the repo fixture
from tests.tools.scripted import xml_call


class ScriptedChat:
    """Replies from a script, streamed a few characters per token, in Qwen3.5's tool-call format."""

    supports_images = False

    def __init__(self, replies: list[str]) -> None:
        self.info = ModelInfo("scripted", Role.LLM, "test")
        self.replies = list(replies)
        self.requests: list[ChatRequest] = []
        self.threads: set[str] = set()

    def make_prompt_cache(self) -> list[Any]:
        return []

    def tool_format(self) -> ToolFormat:
        return ToolFormat.named("qwen3_coder")

    def encode(self, request: ChatRequest) -> EncodedPrompt:
        self.requests.append(request)
        return EncodedPrompt(tuple(range(1, 2 + len(request.messages))))

    def prefill(self, prompt, cache, start, end) -> None:
        pass

    def position_state(self) -> Any:
        return None

    def set_position_state(self, state: Any) -> None:
        pass

    def stream(self, request, cache):
        return self.generate(self.encode(request), cache, 0, request.sampling)

    def generate(self, prompt, cache, start, sampling: SamplingParams) -> Iterator[TokenPiece]:
        self.threads.add(threading.current_thread().name)
        reply = self.replies.pop(0) if self.replies else "Done."
        chunks = [reply[i:i + 5] for i in range(0, len(reply), 5)] or [""]
        for i, text in enumerate(chunks):
            yield TokenPiece(text, i, len(prompt.tokens), 100.0, 100.0, 0.0, "stop" if i == len(chunks) - 1 else None)


FIX = [
    "Let me find it.\n\n" + xml_call("search", pattern=r"def add\(", glob="*.py"),
    xml_call("read_file", path="calc/main.py", start_line=1, end_line=9),
    "add subtracts; I'll fix it.\n\n" + xml_call("edit_file", path="calc/main.py",
                                                 edits=[{"search": "return a - b", "replace": "return a + b"}]),
    xml_call("run_command", command=f"{PY} -m pytest -q -p no:cacheprovider tests"),
    "Fixed: add now adds, and the test passes.",
]


class Agent:
    def __init__(self, model: ScriptedChat, workspace: Path) -> None:
        settings = Settings()
        settings = replace(settings, workspace=replace(settings.workspace, allowed_commands=(f"{PY} -m pytest",)))
        self.events: queue.Queue = queue.Queue()
        spec = SessionSpec(chat_model="scripted", mode="coding", workspace=str(workspace), max_tokens=200)
        loader = lambda roles, model_id: model  # noqa: E731
        self.session, loads = build_session(settings, self.events.put, Ports(), spec,
                                            engine_factory=lambda post: Engine(post, loader, lambda m: []))
        self.session.start(loads)

    def until(self, kind, timeout: float = 120.0, seen: list | None = None):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            event = self.events.get(timeout=timeout)
            if seen is not None:
                seen.append(event)
            assert not (isinstance(event, ErrorEvent)), event.message
            if isinstance(event, kind):
                return event
        raise AssertionError(f"no {kind.__name__}")


@pytest.fixture
def agent_for(repo):  # noqa: F811
    made: list[Agent] = []

    def make(replies: list[str]) -> tuple[Agent, ScriptedChat]:
        model = ScriptedChat(replies)
        made.append(Agent(model, repo))
        return made[-1], model

    yield make
    for agent in made:
        agent.session.stop()


def test_search_read_edit_approve_run_summary(agent_for, repo):  # noqa: F811
    agent, model = agent_for(FIX)
    agent.session.handle(SendText("The add test fails, fix it."))
    seen: list = []
    for _ in range(2):  # the edit, then the test run, each asks first
        asked = agent.until(ApprovalRequested, seen=seen)
        assert asked.proposal.detail  # the diff / the command is shown before anything changes
        agent.session.handle(ApprovalAnswer(asked.call.call_id, True, "button"))
    agent.until(TurnTimeline, seen=seen)
    results = [e.result for e in seen if isinstance(e, ToolFinished)]
    assert [r.name for r in results] == ["search", "read_file", "edit_file", "run_command"]
    assert all(r.ok for r in results), [r.error for r in results]
    assert "return a + b" in (repo / "calc" / "main.py").read_text()
    assert "1 passed" in results[-1].content
    assert [e.notice for e in seen if isinstance(e, ToolStarted)][:2] == ["Searching the code…", "Reading main.py…"]
    history = agent.session.loop.history.messages
    assert sum(isinstance(m, AssistantToolCalls) for m in history) == 4
    assert sum(isinstance(m, ToolReply) for m in history) == 4
    assert history[-1].text == "Fixed: add now adds, and the test passes."
    assert all(r.tools for r in model.requests)  # the coding tools are rendered into every prompt
    assert model.threads == {"hearth-engine"}


def test_rejected_edit_changes_nothing(agent_for, repo):  # noqa: F811
    agent, _ = agent_for(FIX[2:3] + ["OK, I left the file as it was."])
    agent.session.handle(SendText("Fix add."))
    asked = agent.until(ApprovalRequested)
    agent.session.handle(ApprovalAnswer(asked.call.call_id, False, "button"))
    finished = agent.until(ToolFinished)
    assert not finished.result.ok and "did not approve" in finished.result.error
    agent.until(TurnTimeline)
    assert (repo / "calc" / "main.py").read_text() == MAIN_PY


def test_yes_inside_a_sentence_is_not_an_approval(agent_for, repo):  # noqa: F811
    agent, _ = agent_for(FIX[2:3] + ["OK."])
    agent.session.handle(SendText("Fix add."))
    asked = agent.until(ApprovalRequested)
    agent.session.post(UserInput("yes but rename it to plus first", spoken_turn=None))
    assert "yes or no" in agent.until(Notice).message
    assert (repo / "calc" / "main.py").read_text() == MAIN_PY
    agent.session.post(UserInput("go ahead"))
    assert agent.until(ToolFinished).result.ok and asked.call.name == "edit_file"
    assert "return a + b" in (repo / "calc" / "main.py").read_text()


def test_barge_in_cancels_a_running_tool(agent_for, repo):  # noqa: F811
    hang = repo / "hang.py"
    hang.write_text("import time\ntime.sleep(60)\n")
    agent, _ = agent_for([xml_call("run_command", command=f"{PY} hang.py"), "Stopped."])
    agent.session.tools.workspace = replace(agent.session.tools.workspace, allowed_commands=(f"{PY} hang.py",))
    agent.session.handle(SendText("Run the slow script."))
    asked = agent.until(ApprovalRequested)
    agent.session.handle(ApprovalAnswer(asked.call.call_id, True))
    deadline = time.monotonic() + 60
    while "hang.py" not in subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout:
        assert time.monotonic() < deadline, "the command never started"
        time.sleep(0.1)
    t0 = time.monotonic()
    agent.session.handle(StopReply())
    agent.until(TurnTimeline)
    assert time.monotonic() - t0 < 30
    replies = [m for m in agent.session.loop.history.messages if isinstance(m, ToolReply)]
    assert replies and "interrupted" in replies[-1].content  # the history stays well-formed for the next turn
