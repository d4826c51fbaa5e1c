"""Vision-language generation over mlx-vlm (Qwen3.5 and friends), streamed one token per ``next()``."""

from __future__ import annotations

from typing import Any, Callable, Iterator

from models._chat_common import cast_for_device, feed, generation_prompt_length, has_vision
from models._chat_common import pil_image, piece_from
from models._chat_common import read_config
from models.base import (
    ChatMessage,
    ChatRequest,
    EncodedPrompt,
    ModelError,
    ModelFolder,
    ModelInfo,
    Role,
    SamplingParams,
    Speaker,
    TokenPiece,
)
from models.prompt_tokens import PromptTokens, template_markers
from models.registry import register


def vlm_messages(messages: tuple[ChatMessage, ...]) -> list[dict[str, Any]]:
    """Chat messages with an explicit image marker where each image belongs, in order."""
    out: list[dict[str, Any]] = []
    for m in messages:
        if m.images and m.speaker is Speaker.USER:
            parts: list[dict[str, str]] = [{"type": "image"} for _ in m.images]
            parts.append({"type": "text", "text": m.text})
            out.append({"role": m.speaker.value, "content": parts})
        else:
            out.append({"role": m.speaker.value, "content": m.text})
    return out


@register(Role.VLM, "mlx-vlm", priority=10)
class MlxVlmChat:
    def __init__(self, model: Any, processor: Any, model_id: str) -> None:
        self.model = model
        self.processor = processor
        self.info = ModelInfo(model_id=model_id, role=Role.VLM, backend="mlx-vlm")
        markers = template_markers(self._tokenizer, getattr(processor, "chat_template", None))
        self._tokens = PromptTokens(self._encode_text, markers)

    @property
    def _tokenizer(self) -> Any:
        return getattr(self.processor, "tokenizer", self.processor)

    def _encode_text(self, text: str) -> list[int]:
        """What mlx-vlm's prepare_inputs makes of a prompt without pictures."""
        from mlx_vlm.utils import should_add_special_tokens

        add = should_add_special_tokens(self.model.config.model_type, self.processor)
        return list(self._tokenizer(text, add_special_tokens=add)["input_ids"])

    @classmethod
    def accepts(cls, folder: ModelFolder) -> bool:
        config = read_config(folder)
        if not has_vision(config):
            return False
        from mlx_vlm.utils import get_model_and_args

        try:
            get_model_and_args(config)
        except (ValueError, ImportError, KeyError):
            return False
        return True

    @classmethod
    def load(cls, folder: ModelFolder, model_id: str) -> "MlxVlmChat":
        from mlx_vlm import load

        try:
            model, processor = load(str(folder.path))
        except (ValueError, FileNotFoundError) as exc:
            raise ModelError(f"Could not load {model_id} with mlx-vlm: {exc}") from exc
        cast_for_device(model)
        return cls(model, processor, model_id)

    @property
    def supports_images(self) -> bool:
        return True

    def make_prompt_cache(self) -> list[Any]:
        from mlx_vlm.models.cache import make_prompt_cache

        return make_prompt_cache(self.model.language_model)

    def stream(self, request: ChatRequest, prompt_cache: list[Any]) -> Iterator[TokenPiece]:
        self.set_position_state(None)
        return self.generate(self.encode(request), prompt_cache, 0, request.sampling)

    def encode(self, request: ChatRequest) -> EncodedPrompt:
        from mlx_vlm.prompt_utils import apply_chat_template
        from mlx_vlm.utils import prepare_inputs, should_add_special_tokens

        images = [pil_image(img) for m in request.messages if isinstance(m, ChatMessage)
                  for img in m.images if m.speaker is Speaker.USER]
        def render(add: bool) -> str:
            if request.uses_tools:
                from models.tool_format import render_text

                return render_text(self.processor, request.messages, request.tools, add_generation_prompt=add)
            return apply_chat_template(self.processor, self.model.config, vlm_messages(request.messages),
                                       add_generation_prompt=add, num_images=len(images))

        prompt = render(True)
        tokenizer = self._tokenizer
        tail = generation_prompt_length(prompt, render(False), lambda t: tokenizer.encode(t, add_special_tokens=False))
        if not images:  # text only: tokenized incrementally (models/prompt_tokens.py)
            tokens = self._tokens(prompt)
            return EncodedPrompt(tokens, stable=len(tokens) - max(1, tail))
        config = self.model.config
        inputs = prepare_inputs(
            self.processor, images=images or None, prompts=prompt,
            image_token_index=getattr(config, "image_token_index", None),
            add_special_tokens=should_add_special_tokens(config.model_type, self.processor),
        )
        tokens = tuple(int(t) for t in inputs["input_ids"].flatten().tolist())
        stable = len(tokens) - max(1, tail)
        media = {getattr(config, "image_token_index", None), getattr(config, "image_token_id", None)} - {None}
        first = next((i for i, t in enumerate(tokens) if t in media), 0)
        return EncodedPrompt(tokens, media_start=first, inputs=dict(inputs), stable=stable)

    def prefill(self, prompt: EncodedPrompt, prompt_cache: list[Any], start: int, end: int) -> None:
        if start == 0:
            self.set_position_state(None)
        feed(self.model.language_model, prompt.tokens, prompt_cache, start, end)

    def tool_format(self) -> Any:
        from models.tool_format import ToolFormat

        return ToolFormat.of(self.processor)

    def position_state(self) -> Any:
        """Qwen-VL keeps its mRoPE offset on the model: one integer (0 for a text-only prompt), or None."""
        deltas = getattr(self.model.language_model, "_rope_deltas", None)
        return None if deltas is None else int(deltas.reshape(-1)[0].item())

    def set_position_state(self, state: Any) -> None:
        import mlx.core as mx

        lm = self.model.language_model
        if not hasattr(lm, "_rope_deltas"):
            return
        if state is None:
            lm._rope_deltas, lm._position_ids = None, None
        else:  # continuing from a filled cache: positions = cache offset + delta (a 3-axis placeholder keeps mRoPE)
            lm._rope_deltas = mx.array([[int(state)]], dtype=mx.int32)
            lm._position_ids = mx.zeros((3, 1, 1), dtype=mx.int32)

    def generate(self, prompt: EncodedPrompt, prompt_cache: list[Any], start: int,
                 sampling: SamplingParams, at_prompt_end: Callable[[int], None] | None = None) -> Iterator[TokenPiece]:
        """From ``start`` (the cache holds the tokens before it): a text-only continuation feeds token ids; a prompt
        with new images is fed whole with its pixels (``start`` must then be 0), and ``at_prompt_end(n)`` is called
        when the cache holds all but its last token (mlx-vlm's prefill checkpoint), so the engine can snapshot it."""
        import mlx.core as mx
        from mlx_vlm.generate import stream_generate

        if prompt.media_start is not None and start <= prompt.media_start:
            if start:
                raise ModelError("Internal error: a prompt with new images must be fed from its start.")
            yield from self._with_pixels(prompt, prompt_cache, sampling, at_prompt_end)
            return
        if start == 0:
            self.set_position_state(None)
        s = sampling
        for result in stream_generate(
            self.model, self.processor, "", max_tokens=s.max_tokens, temperature=s.temperature, top_p=s.top_p,
            prompt_cache=prompt_cache, input_ids=mx.array(prompt.tokens[start:])[None],
        ):
            yield piece_from(result)

    def _with_pixels(self, prompt: EncodedPrompt, prompt_cache: list[Any], sampling: SamplingParams,
                     at_prompt_end: Callable[[int], None] | None) -> Iterator[TokenPiece]:
        """mlx-vlm's generate_step over the prepared inputs, detokenized as its stream_generate does."""
        import time

        import mlx.core as mx
        from mlx_vlm.generate.ar import generate_step
        from mlx_vlm.tokenizer_utils import make_streaming_detokenizer

        inputs = prompt.inputs
        extra = {k: v for k, v in inputs.items() if k not in ("input_ids", "pixel_values", "attention_mask")}
        n_prompt = len(prompt.tokens)
        checkpoint = {} if at_prompt_end is None else dict(
            prompt_cache_checkpoint=lambda n, _cache: at_prompt_end(n),
            prompt_cache_checkpoint_len=prompt.stable or n_prompt - 1)
        self.set_position_state(None)
        tokenizer = getattr(self.processor, "tokenizer", self.processor)
        detokenizer = make_streaming_detokenizer(self.processor)
        s, t0 = sampling, time.perf_counter()
        steps = generate_step(inputs["input_ids"], self.model, inputs.get("pixel_values"), inputs.get("attention_mask"),
                              max_tokens=s.max_tokens, temperature=s.temperature, top_p=s.top_p,
                              prompt_cache=prompt_cache, **checkpoint, **extra)
        n = 0
        for n, (token, _logprobs) in enumerate(steps, 1):
            token = int(token)
            if tokenizer.stopping_criteria(token):
                detokenizer.finalize()
                yield TokenPiece(detokenizer.last_segment, token, n_prompt, 0.0, n / (time.perf_counter() - t0),
                                 mx.get_peak_memory() / 1e9, "stop")
                return
            detokenizer.add_token(token)
            yield TokenPiece(detokenizer.last_segment, token, n_prompt, 0.0, n / (time.perf_counter() - t0),
                             mx.get_peak_memory() / 1e9, None)
        detokenizer.finalize()
        yield TokenPiece(detokenizer.last_segment, -1, n_prompt, 0.0, 0.0, mx.get_peak_memory() / 1e9, "length")
