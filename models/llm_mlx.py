"""Text generation over mlx-lm, streamed one token per ``next()``."""

from __future__ import annotations

from typing import Any, Iterator

from models._chat_common import cast_for_device, feed, generation_prompt_length, has_vision
from models._chat_common import piece_from, read_config
from models._chat_common import text_messages
from models.base import (
    ChatRequest,
    EncodedPrompt,
    ModelError,
    ModelFolder,
    ModelInfo,
    Role,
    SamplingParams,
    TokenPiece,
)
from models.prompt_tokens import PromptTokens, template_markers
from models.registry import register


@register(Role.LLM, "mlx-lm", priority=20)
class MlxLmChat:
    def __init__(self, model: Any, tokenizer: Any, model_id: str) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.info = ModelInfo(model_id=model_id, role=Role.LLM, backend="mlx-lm")
        self._tokens = PromptTokens(self._encode_text, template_markers(tokenizer))

    @classmethod
    def accepts(cls, folder: ModelFolder) -> bool:
        config = read_config(folder)
        if has_vision(config) or "model_type" not in config:
            return False
        from mlx_lm.utils import _get_classes

        try:
            _get_classes(config)
        except ValueError:
            return False
        return True

    @classmethod
    def load(cls, folder: ModelFolder, model_id: str) -> "MlxLmChat":
        import mlx_lm

        try:
            model, tokenizer = mlx_lm.load(str(folder.path))
        except (ValueError, FileNotFoundError) as exc:
            raise ModelError(f"Could not load {model_id} with mlx-lm: {exc}") from exc
        cast_for_device(model)
        return cls(model, tokenizer, model_id)

    @property
    def supports_images(self) -> bool:
        return False

    def make_prompt_cache(self) -> list[Any]:
        from mlx_lm.models.cache import make_prompt_cache

        return make_prompt_cache(self.model)

    def tool_format(self) -> Any:
        from models.tool_format import ToolFormat

        return ToolFormat.of(self.tokenizer)

    def encode(self, request: ChatRequest) -> EncodedPrompt:
        """The prompt's ids (only the text after the part it shares with the last prompt is tokenized anew) and
        where its generation prompt starts."""
        full = self._render(request, True)
        tokens = self._tokens(full)
        try:
            bare = self._render(request, False)
        except Exception:  # noqa: BLE001 - a template that cannot render without a generation prompt: no split
            return EncodedPrompt(tokens, stable=len(tokens) - 1)
        tail = generation_prompt_length(full, bare, self._encode_text) or 1
        return EncodedPrompt(tokens, stable=len(tokens) - tail)

    def _render(self, request: ChatRequest, add_generation_prompt: bool) -> str:
        if request.uses_tools:
            from models.tool_format import render_text

            return render_text(self.tokenizer, request.messages, request.tools, add_generation_prompt=add_generation_prompt)
        return self.tokenizer.apply_chat_template(text_messages(request.messages), tokenize=False,
                                                  add_generation_prompt=add_generation_prompt)

    def _encode_text(self, text: str) -> list[int]:
        return list(self.tokenizer.encode(text, add_special_tokens=False))

    def prefill(self, prompt: EncodedPrompt, prompt_cache: list[Any], start: int, end: int) -> None:
        feed(self.model, prompt.tokens, prompt_cache, start, end)

    def position_state(self) -> Any:
        return None

    def set_position_state(self, state: Any) -> None:
        pass

    def stream(self, request: ChatRequest, prompt_cache: list[Any]) -> Iterator[TokenPiece]:
        return self.generate(self.encode(request), prompt_cache, 0, request.sampling)

    def generate(self, prompt: EncodedPrompt, prompt_cache: list[Any], start: int,
                 sampling: SamplingParams) -> Iterator[TokenPiece]:
        import mlx_lm
        from mlx_lm.sample_utils import make_sampler

        s = sampling
        sampler = make_sampler(temp=s.temperature, top_p=s.top_p if s.top_p < 1.0 else 0.0)
        for result in mlx_lm.stream_generate(
            self.model,
            self.tokenizer,
            list(prompt.tokens[start:]),
            max_tokens=s.max_tokens,
            sampler=sampler,
            prompt_cache=prompt_cache,
        ):
            yield piece_from(result)
