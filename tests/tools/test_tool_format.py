"""The template path with the tiny qwen2 (mlx-lm) and qwen3_5 (mlx-vlm processor) tokenizers: tools are rendered
into the prompt by the chat template, and tool-call text in the template's own format parses back to typed calls."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.tools.registry import all_tools, spec_of
from models.base import ChatMessage, Speaker
from models.tool_format import (AssistantToolCalls, FunctionCall, MalformedCall, ToolCallParser, ToolFormat,
                                ToolReply, render_prompt, render_text)

SPECS = [spec_of(t) for t in all_tools().values()]
CALL = FunctionCall("search", {"pattern": "def add", "glob": "*.py", "limit": 5, "ignore_case": True}, "call_1")
USER = (ChatMessage(Speaker.SYSTEM, "You help with code."), ChatMessage(Speaker.USER, "Where is add defined?"))


@pytest.fixture(scope="module")
def llm_tokenizer(tiny_llm: Path):
    from mlx_lm.tokenizer_utils import load

    return load(tiny_llm)


@pytest.fixture(scope="module")
def vlm_processor(tiny_vlm: Path):
    from mlx_vlm import load

    return load(str(tiny_vlm))[1]


@pytest.fixture(params=["llm", "vlm"])
def tokenizer(request):
    return request.getfixturevalue("llm_tokenizer" if request.param == "llm" else "vlm_processor")


def _format(tokenizer) -> ToolFormat:
    fmt = ToolFormat.of(tokenizer)
    assert fmt is not None, "the tiny tokenizer has no tool template: rebuild it (scripts/make_tiny_models.py)"
    return fmt


def test_mlx_lm_picks_the_qwen_parsers(llm_tokenizer, vlm_processor):
    assert _format(llm_tokenizer).parser_name == "json_tools"
    assert _format(vlm_processor).parser_name == "qwen3_coder"
    assert _format(llm_tokenizer).start == "<tool_call>" and _format(llm_tokenizer).end == "</tool_call>"


def test_tools_are_rendered_into_the_prompt(tokenizer):
    text = render_text(tokenizer, USER, SPECS)
    assert text.startswith("<|im_start|>system\nYou help with code.\n\n# Tools")
    for spec in SPECS:
        assert f'"name": "{spec.name}"' in text and spec.description[:40] in text
    assert text.endswith("<|im_start|>user\nWhere is add defined?<|im_end|>\n<|im_start|>assistant\n")
    ids = render_prompt(tokenizer, USER, SPECS)
    owner = getattr(tokenizer, "tokenizer", tokenizer)
    assert owner.decode(ids) == text
    assert "# Tools" not in render_text(tokenizer, USER)  # no tools, no tool section


def _assistant_text(tokenizer, calls: AssistantToolCalls) -> str:
    """What the model writes for ``calls`` in this template's format (the template's own rendering)."""
    before = render_text(tokenizer, USER, SPECS)
    after = render_text(tokenizer, USER + (calls,), SPECS, add_generation_prompt=False)
    assert after.startswith(before)
    return after[len(before):].removesuffix("<|im_end|>\n")


@pytest.mark.parametrize("step", [1, 3, 1000])
def test_the_templates_tool_call_text_parses_back_to_the_typed_call(tokenizer, step):
    text = _assistant_text(tokenizer, AssistantToolCalls("Let me look.", (CALL,)))
    assert "<tool_call>" in text and "search" in text
    parser = ToolCallParser(_format(tokenizer), SPECS)
    outs = [parser.feed(text[i:i + step]) for i in range(0, len(text), step)] + [parser.finish()]
    calls = [c for o in outs for c in o.calls]
    assert calls == [CALL] and dict(calls[0].arguments) == dict(CALL.arguments)
    assert "".join(o.text for o in outs).strip() == "Let me look."
    assert not any("<tool" in o.text for o in outs)  # the marker never leaks into spoken text


def test_two_calls_in_one_reply(tokenizer):
    second = FunctionCall("read_file", {"path": "calc/main.py", "start_line": 1}, "call_2")
    text = _assistant_text(tokenizer, AssistantToolCalls("", (CALL, second)))
    out = ToolCallParser(_format(tokenizer), SPECS).feed(text)
    assert [c.name for c in out.calls] == ["search", "read_file"] and out.calls[1] == second


def test_a_tool_round_trip_only_appends_to_the_prompt(tokenizer):
    """Each round trip's prompt extends the previous one (a live prompt cache reuses every earlier token)."""
    step1 = render_prompt(tokenizer, USER, SPECS)
    turn = USER + (AssistantToolCalls("", (CALL,)), ToolReply("call_1", "search", "calc/main.py:4: def add(a, b):"))
    step2 = render_prompt(tokenizer, turn, SPECS)
    assert step2[: len(step1)] == step1 and len(step2) > len(step1)
    text = render_text(tokenizer, turn, SPECS)
    assert "<tool_response>\ncalc/main.py:4: def add(a, b):\n</tool_response>" in text


def test_truncated_and_unreadable_calls(tokenizer):
    text = _assistant_text(tokenizer, AssistantToolCalls("", (CALL,)))
    cut = text[: text.index("</tool_call>")]  # the reply ended (length) before the end marker
    parser = ToolCallParser(_format(tokenizer), SPECS)
    assert parser.feed(cut).calls == () and parser.in_call
    assert parser.finish().calls == (CALL,)  # everything but the end marker had arrived
    half = ToolCallParser(_format(tokenizer), SPECS)
    half.feed(text[: text.index("def add")])
    (broken,) = half.finish().calls
    assert isinstance(broken, MalformedCall) or broken.arguments.get("pattern") != "def add"
    junk = ToolCallParser(_format(tokenizer), SPECS).feed("<tool_call>\nnonsense\n</tool_call> after")
    assert isinstance(junk.calls[0], MalformedCall) and junk.text == " after"


def test_rendered_prompt_generates_with_mlx_lm(tiny_llm: Path):
    import mlx_lm

    model, tok = mlx_lm.load(str(tiny_llm))
    prompt = render_prompt(tok, USER, SPECS[:2])
    pieces = list(mlx_lm.stream_generate(model, tok, prompt, max_tokens=3))
    assert pieces and pieces[-1].prompt_tokens == len(prompt)


def test_parser_on_the_streaming_detokenizers_segments(llm_tokenizer):
    """Fed exactly what mlx-lm's stream_generate yields per token (multi-byte characters arrive split)."""
    call = FunctionCall("search", {"pattern": "café ✓ naïve", "limit": 3}, "call_1")
    text = _assistant_text(llm_tokenizer, AssistantToolCalls("Voilà — searching.", (call,)))
    detok = llm_tokenizer.detokenizer
    detok.reset()
    parser = ToolCallParser(_format(llm_tokenizer), SPECS)
    outs = []
    for token in llm_tokenizer.encode(text, add_special_tokens=False):
        detok.add_token(token)
        outs.append(parser.feed(detok.last_segment))
    detok.finalize()
    outs += [parser.feed(detok.last_segment), parser.finish()]
    assert [c for o in outs for c in o.calls] == [call]
    assert "".join(o.text for o in outs).strip() == "Voilà — searching."


@pytest.mark.parametrize("step", [1, 5, 1000])
def test_reasoning_is_kept_apart_and_calls_inside_it_do_not_count(step):
    from dataclasses import replace

    fmt = replace(ToolFormat.named("qwen3_coder"), think_start="<think>", think_end="</think>")
    call = "<tool_call>\n<function=git>\n<parameter=command>\nstatus\n</parameter>\n</function>\n</tool_call>"

    def run(text: str, in_thinking: bool = False):
        parser = ToolCallParser(fmt, SPECS, in_thinking=in_thinking)
        outs = [parser.feed(text[i:i + step]) for i in range(0, len(text), step)] + [parser.finish()]
        return ("".join(o.reasoning for o in outs), "".join(o.text for o in outs), [c for o in outs for c in o.calls])

    reasoning, text, calls = run(f"<think>Maybe {call} first.</think>\n\nChecking.{call}")
    assert reasoning == f"Maybe {call} first." and text == "\n\nChecking."
    assert [c.name for c in calls] == ["git"] and dict(calls[0].arguments) == {"command": "status"}
    reasoning, text, calls = run("the prompt opened the block</think>Done.", in_thinking=True)
    assert (reasoning, text, calls) == ("the prompt opened the block", "Done.", [])
