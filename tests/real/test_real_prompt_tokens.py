"""Incremental prompt tokenization on Gemma 3's real tokenizer gives the whole-prompt ids turn after turn."""

from __future__ import annotations

import pytest

from tests.core.prompt_token_cases import check_growing_conversation

pytestmark = pytest.mark.real


def test_gemma_incremental_ids_equal_whole_prompt(real_lm_folder):
    from transformers import AutoTokenizer

    memo = check_growing_conversation(AutoTokenizer.from_pretrained(str(real_lm_folder)))
    assert memo.reused_tokens > 20
