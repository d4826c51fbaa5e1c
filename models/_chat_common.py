"""Helpers shared by the chat adapters (not an adapter itself: the leading underscore keeps discovery away)."""

from __future__ import annotations

import json
from typing import Any

from models.base import PREFILL_CHUNK, ImageInput, ModelError, ModelFolder, TokenPiece




def feed(forward: Any, tokens: tuple[int, ...], prompt_cache: list[Any], start: int, end: int) -> None:
    """Feed ``tokens[start:end]`` to ``forward`` (a language model) in PREFILL_CHUNK pieces, evaluating the cache."""
    import mlx.core as mx

    for a in range(start, end, PREFILL_CHUNK):
        forward(mx.array(tokens[a:min(end, a + PREFILL_CHUNK)])[None], cache=prompt_cache)
        eval_cache(prompt_cache)


def eval_cache(prompt_cache: list[Any]) -> None:
    """Materialise every layer's state (a lazy graph would otherwise keep growing across prefill chunks)."""
    import mlx.core as mx

    mx.eval([c.state for c in prompt_cache])


def cast_for_device(model: Any) -> None:
    """On MLX's CPU backend, float16/bfloat16 weights run ~30x slower than float32: cast them (quantized weights
    stay packed; only their float scales change). On Metal nothing changes."""
    import mlx.core as mx
    from mlx.utils import tree_map

    if mx.default_device() != mx.cpu:
        return
    half = (mx.float16, mx.bfloat16)
    model.update(tree_map(lambda a: a.astype(mx.float32) if isinstance(a, mx.array) and a.dtype in half else a,
                          model.parameters()))


def generation_prompt_length(full: str, bare: str, encode: Any) -> int:
    """Tokens of the generation prompt (``full`` = the rendering with it, ``bare`` = without). A later turn renders
    the history differently from this prompt from there on (Qwen's empty think block, for one), so the engine keeps
    its snapshot of untrimmable layers before it."""
    if full == bare or not full.startswith(bare):
        return 0
    return len(encode(full[len(bare):]))


def read_config(folder: ModelFolder) -> dict[str, Any]:
    if folder.config:
        return folder.config
    path = folder.path / "config.json"
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise ModelError(f"{folder.path} has no config.json: it is not a complete model folder.") from None
    except json.JSONDecodeError as exc:
        raise ModelError(f"{path} is not valid JSON ({exc}); re-import or re-download the model.") from None


def has_vision(config: dict[str, Any]) -> bool:
    return "vision_config" in config


def piece_from(result: Any) -> TokenPiece:
    """A TokenPiece from an mlx-lm GenerationResponse or an mlx-vlm GenerationResult (same field names)."""
    return TokenPiece(
        text=result.text,
        token=int(result.token) if result.token is not None else -1,
        prompt_tokens=int(result.prompt_tokens),
        prompt_tps=float(result.prompt_tps),
        generation_tps=float(result.generation_tps),
        peak_memory_gb=float(result.peak_memory),
        finish_reason=result.finish_reason,
    )


def text_messages(messages: tuple[Any, ...]) -> list[dict[str, str]]:
    """Chat-template messages for a text-only model (images dropped; the caller warned the user)."""
    return [{"role": m.speaker.value, "content": m.text} for m in messages]


def pil_image(image: ImageInput) -> Any:
    from PIL import Image, UnidentifiedImageError

    if image.rgb is not None:
        return Image.fromarray(image.rgb).convert("RGB")
    try:
        with Image.open(image.path) as img:  # type: ignore[arg-type]
            return img.convert("RGB")
    except FileNotFoundError:
        raise ModelError(f"Image not found: {image.path}") from None
    except (UnidentifiedImageError, OSError) as exc:
        raise ModelError(f"Cannot read image {image.path}: {exc}. Use a PNG or JPEG file.") from None
