"""One conversation's live prompt cache: what the model has already read, kept between turns (engine thread only).

A turn feeds only the tokens after the longest common prefix of its prompt with what the cache holds. Going back
(a barge-in keeps only the heard part of a reply; a cancelled or failed generation; a template that renders the
reply differently from how it was generated) trims the attention layers. Layers whose state cannot be trimmed
(Gated-DeltaNet / linear-attention ``ArraysCache``, a sliding window that has wrapped) are restored from a snapshot
taken at the end of the last prompt; the tokens after it are then fed again. When neither works the cache is
rebuilt from scratch (counted, so the front end can say so).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from models.base import ChatModel, EncodedPrompt


def common_prefix(a: tuple[int, ...] | list[int], b: tuple[int, ...] | list[int]) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


def _offset(layer: Any) -> int | None:
    offset = getattr(layer, "offset", None)
    return int(offset) if isinstance(offset, int) else None


def rewindable(layer: Any) -> bool:
    """True when the layer can drop its newest tokens exactly (a full-attention cache that holds every token)."""
    try:
        if not layer.is_trimmable():
            return False
    except AttributeError:
        return False
    max_size = getattr(layer, "max_size", None)
    return max_size is None or (_offset(layer) or 0) <= int(max_size)


def tokens_held(layers: list[Any]) -> int:
    """Tokens the cache has read (attention layers count them; linear-attention layers don't)."""
    return max((o for o in (_offset(c) for c in layers) if o is not None), default=0)


@dataclass
class Snapshot:
    """Copies of the layers that cannot be trimmed, taken when the cache held ``length`` tokens."""

    length: int
    states: dict[int, Any]  # layer index -> a copy of its state (mlx-lm caches: arrays and scalars)
    position: Any


def _copy_state(state: Any) -> Any:
    import mlx.core as mx

    if isinstance(state, mx.array):
        return mx.array(state)
    if isinstance(state, (list, tuple)):
        return type(state)(_copy_state(s) for s in state)
    return state


def _arrays(state: Any) -> list[Any]:
    import mlx.core as mx

    if isinstance(state, mx.array):
        return [state]
    if isinstance(state, (list, tuple)):
        return [a for s in state for a in _arrays(s)]
    return []


class LiveCache:
    """The prompt cache of one conversation plus the token ids it holds."""

    def __init__(self, model: ChatModel, factory: Callable[[ChatModel], list[Any]]) -> None:
        self.model = model
        self._factory = factory
        self.layers: list[Any] = factory(model)
        self.tokens: list[int] = []
        self.snapshots: tuple[Snapshot, ...] = ()  # oldest first: at the end of the messages, and of the prompt
        self.position: Any = None
        self.rebuilds = 0  # times the cache had to start over (cold prefills), for tests and stats

    # ------------------------------------------------------------------------------------------------ planning
    def prepare(self, prompt: EncodedPrompt) -> int:
        """Bring the cache to a prefix of ``prompt``; returns how many of its tokens are already held (the rest
        must be fed). At least one token is always left to feed, so the model produces the next-token logits."""
        want = common_prefix(self.tokens, prompt.tokens)
        want = min(want, len(prompt.tokens) - 1)
        if prompt.media_start is not None and want <= prompt.media_start:
            return self._restart()  # new pixels are fed with the whole prompt
        if want == len(self.tokens):
            return self._resume(want)
        if all(rewindable(c) for c in self.layers):
            self._trim_to(want)
            return self._resume(want)
        usable = [snap for snap in self.snapshots if snap.length <= want]
        if usable:
            snap = max(usable, key=lambda x: x.length)
            self._restore(snap)
            return self._resume(snap.length)
        return self._restart()

    def _resume(self, held: int) -> int:
        self.model.set_position_state(self.position if held else None)
        return held

    def _trim_to(self, length: int) -> None:
        drop = len(self.tokens) - length
        if drop > 0:
            for c in self.layers:
                c.trim(drop)
        self.tokens = self.tokens[:length]
        self.snapshots = tuple(snap for snap in self.snapshots if snap.length <= length)

    def _restore(self, snap: Snapshot) -> None:
        drop = len(self.tokens) - snap.length
        for i, c in enumerate(self.layers):
            if i in snap.states:
                c.state = _copy_state(snap.states[i])
            elif drop > 0:
                c.trim(drop)
        self.tokens = self.tokens[:snap.length]
        self.position = snap.position
        self.snapshots = tuple(x for x in self.snapshots if x.length <= snap.length)

    def _restart(self) -> int:
        if self.tokens:
            self.rebuilds += 1
        self.layers = self._factory(self.model)
        self.tokens, self.snapshots, self.position = [], (), None
        self.model.set_position_state(None)
        return 0

    # ------------------------------------------------------------------------------------------------- updates
    def fed(self, tokens: tuple[int, ...] | list[int]) -> None:
        """The cache now holds ``tokens`` (a prompt prefix fed by prefill, or prompt + generated tokens)."""
        self.tokens = list(tokens[: tokens_held(self.layers)]) if tokens_held(self.layers) else list(tokens)
        self.position = self.model.position_state()

    def take_snapshot(self) -> None:
        """Copy the layers that cannot be trimmed (only those), so a later rewind can come back here."""
        fixed = {i: c for i, c in enumerate(self.layers) if not rewindable(c)}
        if not fixed:
            self.snapshots = ()
            return
        import mlx.core as mx

        states = {i: _copy_state(c.state) for i, c in fixed.items()}
        mx.eval([a for state in states.values() for a in _arrays(state)])
        kept = tuple(x for x in self.snapshots if x.length < len(self.tokens))[-1:]
        self.snapshots = kept + (Snapshot(len(self.tokens), states, self.position),)

    @property
    def snapshot(self) -> Snapshot | None:
        """The newest snapshot (None when there is none)."""
        return self.snapshots[-1] if self.snapshots else None

    def invalidate(self) -> None:
        """Forget everything (after a failure mid-update): the next turn prefills from scratch."""
        self._restart()

    @property
    def needs_snapshots(self) -> bool:
        return not all(rewindable(c) for c in self.layers)
