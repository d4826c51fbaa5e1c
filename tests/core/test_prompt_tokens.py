"""Prompts are tokenized incrementally (only the text after the part shared with the last prompt), with the same ids
as a whole-prompt tokenization; a tokenizer whose ids depend on what came before turns reuse off."""

from __future__ import annotations

from models.prompt_tokens import CHECKS, PromptTokens, shared_prefix
from tests.core.prompt_token_cases import check_growing_conversation


def test_shared_prefix():
    assert shared_prefix("abcdef", "abcxyz") == 3
    assert shared_prefix("", "abc") == 0 and shared_prefix("abc", "abc") == 3 and shared_prefix("abc", "abcd") == 3


def test_tiny_tokenizer_incremental_ids_equal_whole_prompt(tiny_llm):
    from transformers import AutoTokenizer

    check_growing_conversation(AutoTokenizer.from_pretrained(str(tiny_llm)))


def test_a_tokenizer_that_depends_on_the_start_turns_reuse_off():
    calls: list[str] = []

    def encode(text: str) -> list[int]:  # ids shift with where the text starts: a suffix alone tokenizes differently
        calls.append(text)
        return [len(text)] + [ord(c) for c in text]

    memo = PromptTokens(encode, {"<m>": ord("<")})
    first = "<m>a<m>b"
    assert memo(first) == tuple(encode(first))
    second = first + "<m>c"
    assert memo(second) == tuple(encode(second))  # the full answer, never the wrong one
    assert not memo.reuse


def test_reuse_is_trusted_only_after_checks():
    encode_calls: list[str] = []

    def encode(text: str) -> list[int]:
        encode_calls.append(text)
        return [ord(c) for c in text]

    memo = PromptTokens(encode, {"<": ord("<")})
    text = "<a"
    for turn in range(CHECKS + 2):
        text += f"<turn {turn}"
        encode_calls.clear()
        assert memo(text) == tuple(ord(c) for c in text)
        whole = text in encode_calls
        assert whole == (turn <= CHECKS), turn  # the first call and CHECKS more encode the whole text too
    assert memo.reuse and memo.reused_tokens > 0


def test_vlm_text_prompts_are_tokenized_incrementally_as_prepare_inputs_would(tiny_vlm, tmp_path):
    from mlx_vlm.utils import prepare_inputs, should_add_special_tokens

    from models.base import ChatMessage, ChatRequest, Role, Speaker
    from models.loader import load_adapter
    from models.store import ModelStore

    vlm = load_adapter((Role.VLM,), str(tiny_vlm), ModelStore(tmp_path))
    config = vlm.model.config
    messages: tuple = ()
    for i in range(CHECKS + 3):
        messages += (ChatMessage(Speaker.USER, f"Question {i}: what is  in the kettle? <|im_start|> ünï"),)
        prompt = vlm.encode(ChatRequest(messages))
        from mlx_vlm.prompt_utils import apply_chat_template

        from models.vlm_mlx import vlm_messages
        text = apply_chat_template(vlm.processor, config, vlm_messages(messages), add_generation_prompt=True, num_images=0)
        direct = prepare_inputs(vlm.processor, prompts=text, add_special_tokens=should_add_special_tokens(config.model_type, vlm.processor))
        assert prompt.tokens == tuple(direct["input_ids"].flatten().tolist()), i
        messages += (ChatMessage(Speaker.ASSISTANT, f"Answer {i}."),)
    assert vlm._tokens.reuse and vlm._tokens.reused_tokens > 0
