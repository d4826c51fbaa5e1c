"""Compressed (TurboQuant-style) KV cache for mlx-lm / mlx-vlm models.

Only ``kvcache.patch`` touches mlx-lm / mlx-vlm, and it imports them lazily; everything else is mlx + numpy.
"""

from .attention import compressed_attention
from .config import KVCacheError, KVQuantConfig
from .patch import compress_prompt_cache, install
from .turboquant import CompressedKVCache

__all__ = [
    "CompressedKVCache",
    "KVCacheError",
    "KVQuantConfig",
    "compress_prompt_cache",
    "compressed_attention",
    "install",
]
