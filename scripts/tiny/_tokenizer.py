"""A byte-level BPE tokenizer trained on the spot (no download), saved as a Hugging Face fast tokenizer."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' }}"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for part in message['content'] %}"
    "{% if part['type'] == 'image' %}{{ '<|vision_start|><|image_pad|><|vision_end|>' }}"
    "{% elif part['type'] == 'text' %}{{ part['text'] }}{% endif %}"
    "{% endfor %}{% endif %}"
    "{{ '<|im_end|>\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)

SPECIAL_TOKENS = [
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|image_pad|>",
    "<|video_pad|>",
]


def _corpus() -> list[str]:
    """Text to learn merges from: this package's own sources plus a few everyday sentences."""
    import asyncio.locks
    import email.message
    import json.decoder

    texts = [inspect.getsource(m) for m in (json.decoder, asyncio.locks, email.message)]
    texts.append(
        "Hello! What is on my screen? Describe the picture. The quick brown fox jumps over the lazy dog. "
        "It is 3.5 degrees outside; the meeting is at 10 a.m. on Monday."
    )
    return texts


def write_tokenizer(outdir: Path, vocab_size: int = 512, chat_template: str = CHATML_TEMPLATE) -> int:
    """Train and save tokenizer files into ``outdir`` (with ``chat_template``); returns the real vocabulary size."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train_from_iterator(_corpus(), trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        additional_special_tokens=SPECIAL_TOKENS[1:],
    )
    fast.chat_template = chat_template
    fast.save_pretrained(str(outdir))
    (outdir / "chat_template.jinja").write_text(chat_template)
    return len(fast)


def token_id(outdir: Path, token: str) -> int:
    data = json.loads((outdir / "tokenizer.json").read_text())
    for added in data["added_tokens"]:
        if added["content"] == token:
            return int(added["id"])
    raise KeyError(token)
