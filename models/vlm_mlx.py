"""Vision-language generation over mlx-vlm (Qwen3.5 and friends), streamed one token per ``next()``."""

from __future__ import annotations

from typing import Any, Iterator

from models._chat_common import has_vision, pil_image, piece_from, read_config
from models.base import ChatMessage, ChatRequest, ModelError, ModelFolder, ModelInfo, Role, Speaker, TokenPiece
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
        return cls(model, processor, model_id)

    @property
    def supports_images(self) -> bool:
        return True

    def make_prompt_cache(self) -> list[Any]:
        from mlx_vlm.models.cache import make_prompt_cache

        return make_prompt_cache(self.model.language_model)

    def stream(self, request: ChatRequest, prompt_cache: list[Any]) -> Iterator[TokenPiece]:
        from mlx_vlm.generate import stream_generate
        from mlx_vlm.prompt_utils import apply_chat_template

        images = [pil_image(img) for m in request.messages for img in m.images if m.speaker is Speaker.USER]
        prompt = apply_chat_template(
            self.processor, self.model.config, vlm_messages(request.messages), num_images=len(images)
        )
        s = request.sampling
        for result in stream_generate(
            self.model,
            self.processor,
            prompt,
            image=images or None,
            max_tokens=s.max_tokens,
            temperature=s.temperature,
            top_p=s.top_p,
            prompt_cache=prompt_cache,
        ):
            yield piece_from(result)
