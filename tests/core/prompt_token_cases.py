"""A conversation grown turn by turn, for checking incremental prompt tokenization against whole-prompt
tokenization (tests/core/test_prompt_tokens.py on the tiny tokenizer, tests/real on Gemma 3's)."""

from __future__ import annotations

from typing import Callable

from models.prompt_tokens import PromptTokens, template_markers

TURNS = (
    ("user", "Hello there! What's a kettle?"),
    ("assistant", "A kettle boils water.  It has a spout\n\nand a lid. "),
    ("user", "Write  <start_of_turn> and <|im_start|> literally, please: ünïcödé 漢字 🫖"),
    ("assistant", "Sure: <start_of_turn> <|im_start|>\n"),
    ("user", "   leading spaces and a trailing newline\n"),
    ("assistant", "ok"),
    ("user", "def f(x):\n    return x * 2  # code\n"),
    ("assistant", "That doubles x."),
    ("user", "Last one."),
)


def check_growing_conversation(tokenizer) -> PromptTokens:
    """Every turn's incremental ids equal the whole-prompt ids; returns the tokenizer memo for further checks."""
    encode: Callable[[str], list[int]] = lambda t: list(tokenizer.encode(t, add_special_tokens=False))
    memo = PromptTokens(encode, template_markers(tokenizer))
    messages: list[dict[str, str]] = [{"role": "system", "content": "You are brief."}]
    reused = []
    for role, text in TURNS:
        messages.append({"role": role, "content": text})
        if role != "user":
            continue
        prompt = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        assert memo(prompt) == tuple(encode(prompt)), f"ids differ after {len(messages)} messages"
        reused.append(memo.reused_tokens)
    assert memo.reuse, "reuse was turned off: incremental ids differed from the whole prompt's"
    assert reused[-1] > 0, "the last turns re-tokenized everything"
    return memo
