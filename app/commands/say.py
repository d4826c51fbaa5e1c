"""`hearth say "text" [--voice V] [--out FILE.wav]`: speak text through the speaker, or write it to a WAV file.

The text goes through the same path as a reply: the clause segmenter (markdown, code, links and numbers made
speakable), one ``Synthesize`` request per clause on the engine thread, and the no-delay player, so the first clause
plays while the next one is synthesised. When the configured voice (Kokoro by default) is not installed, the
built-in eSpeak NG voice speaks instead, and says so on stderr.
"""

from __future__ import annotations

import argparse
import queue
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from app.commands import command
from app.engine.messages import AudioChunk, ErrorEvent, Synthesize, new_turn_id
from app.config.settings import Settings, load_settings
from app.speech.segmenter import segment
from audio.playback import ClauseTag, Player, SoundDeviceBackend
from audio.types import AudioError
from models.base import Role

FALLBACK_VOICE = "espeak"
WAIT_S = 600.0  # give up on a clause that takes longer than this to synthesise
TAIL_S = 0.3


@dataclass
class Collected:
    """What came back for one `say`: audio per clause (for --out) and the first error."""

    pcm: list[np.ndarray] = field(default_factory=list)
    sample_rate: int = 0
    error: str | None = None


def load_voice(client, model: str) -> str | None:
    """Load ``model`` (falling back to eSpeak, with a notice); the id that loaded, or None."""
    event = client.load(Role.TTS, model)
    if not isinstance(event, ErrorEvent):
        return model
    if model == FALLBACK_VOICE:
        print(f"No voice available: {event.message}", file=sys.stderr)
        return None
    print(f"The {model} voice is not available ({event.message.rstrip('.')}). Using the instant eSpeak voice instead.",
          file=sys.stderr)
    return load_voice(client, FALLBACK_VOICE)


def speak(client, text: str, voice: str | None, speed: float, on_chunk) -> Collected:
    """Submit every clause, then hand each AudioChunk to ``on_chunk`` as it arrives."""
    got = Collected()
    clauses = segment(text)
    turn = new_turn_id()
    for clause in clauses:
        client.engine.submit(Synthesize(turn, clause.index, clause.text, voice, speed))
    remaining = len(clauses)
    while remaining and got.error is None:
        try:
            event = client.events.get(timeout=WAIT_S)
        except queue.Empty:
            got.error = "The voice stopped answering."
            break
        if isinstance(event, ErrorEvent):
            got.error = event.message
        elif isinstance(event, AudioChunk) and event.turn_id == turn:
            got.sample_rate = got.sample_rate or event.sample_rate
            got.pcm.append(event.pcm)
            on_chunk(event)
            remaining -= event.last
    return got


def play(client, text: str, voice: str | None, speed: float, settings: Settings) -> int:
    out: dict[str, Any] = {}

    def on_chunk(chunk: AudioChunk) -> None:
        if "player" not in out:
            player = Player(chunk.sample_rate, volume=settings.voice.volume)
            backend = SoundDeviceBackend(settings.audio.output_device or None)
            backend.start(player)  # AudioError when there is no speaker
            out.update(player=player, backend=backend)
        out["player"].enqueue(chunk.pcm, chunk.sample_rate, ClauseTag(chunk.turn_id, chunk.clause_id), chunk.last)

    try:
        got = speak(client, text, voice, speed, on_chunk)
        while "player" in out and not out["player"].idle and got.error is None:
            time.sleep(0.02)
        time.sleep(TAIL_S if "player" in out else 0)  # the last blocks are still in the device's buffer
    except AudioError as e:
        hint = "" if "--out" in str(e) else " Or write the speech to a file with --out FILE.wav."
        print(f"{e}{hint}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        if "player" in out:
            out["player"].flush()
        return 130
    finally:
        if "backend" in out:
            out["backend"].stop()
    if got.error:
        print(got.error, file=sys.stderr)
    return 1 if got.error else 0


def write(client, text: str, voice: str | None, speed: float, out: str) -> int:
    from audio.wav import write_wav

    got = speak(client, text, voice, speed, lambda chunk: None)
    if got.error:
        print(got.error, file=sys.stderr)
        return 1
    pcm = np.concatenate(got.pcm) if got.pcm else np.zeros(0, np.float32)
    path = write_wav(out, pcm, got.sample_rate or 22050)
    print(f"Wrote {len(pcm) / max(got.sample_rate, 1):.2f} s of speech to {path}", file=sys.stderr)
    return 0


@command
class SayCommand:
    name = "say"
    help = "speak text aloud (or write it to a WAV file with --out)"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("text", help="what to say (markdown, numbers and links are read naturally)")
        parser.add_argument("--voice", help="voice name, e.g. af_heart (Kokoro) or en-us (eSpeak)")
        parser.add_argument("--model", help="speech model id (default: the one in Settings, usually kokoro)")
        parser.add_argument("--speed", type=float, help="speaking rate, 0.5 to 2.0 (default from Settings)")
        parser.add_argument("--out", metavar="FILE.wav", help="write a WAV file instead of playing")

    def run(self, args: argparse.Namespace) -> int:
        from app.engine.client import EngineClient

        settings = load_settings().settings
        if not segment(args.text):
            print("Nothing to say: give some words, e.g. hearth say \"Hello\".", file=sys.stderr)
            return 2
        speed = min(max(args.speed if args.speed is not None else settings.voice.speed, 0.5), 2.0)
        client = EngineClient(settings)
        try:
            model = load_voice(client, args.model or settings.models.tts)
            if model is None:
                return 1
            voice = args.voice or settings.voice.voice
            if args.out:
                return write(client, args.text, voice, speed, args.out)
            return play(client, args.text, voice, speed, settings)
        finally:
            client.close()
