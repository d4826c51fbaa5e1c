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
from dataclasses import dataclass
from typing import Any, Callable

from app.commands import command
from app.engine.messages import AudioChunk, ErrorEvent, Synthesize, new_turn_id
from app.config.settings import Settings, load_settings
from app.speech.segmenter import segment
from audio.playback import ClauseTag, Player, SoundDeviceBackend
from audio.types import AudioError
from audio.wav_stream import output_problem
from models import catalog
from models.base import Role

FALLBACK_VOICE = "espeak"
WAIT_S = 600.0  # give up on a clause that takes longer than this to synthesise
TAIL_S = 0.3


AHEAD = 3  # clauses submitted to the engine ahead of the one being received (bounded memory for any length)
MAX_QUEUED_S = 15.0  # the speaker's queue is kept below this much audio before more text is synthesised


@dataclass
class Spoken:
    """What one `say` produced: how many samples, at what rate, and the first error (no audio is kept)."""

    samples: int = 0
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


def speak(client, text: str, voice: str | None, speed: float, on_chunk: Callable[[AudioChunk], None],
          ready: Callable[[], bool] = lambda: True) -> Spoken:
    """Synthesise clause by clause, at most AHEAD clauses in flight and only while ``ready()`` (the consumer keeps
    up), handing each AudioChunk to ``on_chunk`` as it arrives: memory stays bounded whatever the text's length."""
    got = Spoken()
    clauses = segment(text)
    turn = new_turn_id()
    submitted = finished = 0
    while finished < len(clauses) and got.error is None:
        while submitted < len(clauses) and submitted - finished < AHEAD and ready():
            clause = clauses[submitted]
            client.engine.submit(Synthesize(turn, clause.index, clause.text, voice, speed))
            submitted += 1
        try:
            event = client.events.get(timeout=WAIT_S if submitted > finished else 0.05)
        except queue.Empty:
            if submitted > finished:
                got.error = "The voice stopped answering."
            continue
        if isinstance(event, ErrorEvent):
            got.error = event.message
        elif isinstance(event, AudioChunk) and event.turn_id == turn:
            got.sample_rate = got.sample_rate or event.sample_rate
            got.samples += len(event.pcm)
            on_chunk(event)
            finished += event.last
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

    def ready() -> bool:
        player = out.get("player")
        return player is None or player.queued_samples() < MAX_QUEUED_S * player.sample_rate

    try:
        got = speak(client, text, voice, speed, on_chunk, ready)
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
    """Stream the speech into ``out``: each clause is on disk (and the file a valid WAV) as soon as it is voiced."""
    from audio.wav_stream import WavStream

    stream: dict[str, WavStream] = {}

    def on_chunk(chunk: AudioChunk) -> None:
        if "wav" not in stream:
            stream["wav"] = WavStream(out, chunk.sample_rate)
        pcm = chunk.pcm
        if chunk.sample_rate != stream["wav"].sample_rate:
            from audio.resample import resample

            pcm = resample(pcm, chunk.sample_rate, stream["wav"].sample_rate)
        stream["wav"].append(pcm)
        if chunk.last:
            stream["wav"].commit()

    try:
        got = speak(client, text, voice, speed, on_chunk)
    except AudioError as e:
        print(e, file=sys.stderr)
        return 1
    finally:
        if "wav" in stream:
            stream["wav"].close()
    if got.error:
        print(got.error, file=sys.stderr)
        return 1
    if "wav" not in stream:
        print("The voice produced no audio; nothing was written.", file=sys.stderr)
        return 1
    wav = stream["wav"]
    print(f"Wrote {wav.seconds:.2f} s of speech to {wav.path}", file=sys.stderr)
    return 0


@command
class SayCommand:
    name = "say"
    help = "speak text aloud (or write it to a WAV file with --out)"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("text", nargs="?", help="what to say (markdown, numbers and links are read naturally)")
        parser.add_argument("--voice", help="voice name, e.g. af_heart (Kokoro) or en-us (eSpeak); a voice model's "
                                            "name (espeak, kokoro) picks that model")
        parser.add_argument("--model", help="speech model id (default: the one in Settings, usually kokoro)")
        parser.add_argument("--speed", type=float, help="speaking rate, 0.5 to 2.0 (default from Settings)")
        parser.add_argument("--out", metavar="FILE.wav", help="write a WAV file instead of playing")
        parser.add_argument("--list-voices", action="store_true", help="print the voices of the speech model")

    def run(self, args: argparse.Namespace) -> int:
        from app.engine.client import EngineClient

        loaded = load_settings()
        for problem in loaded.problems:
            print(problem.message, file=sys.stderr)
        settings = loaded.settings
        model, voice = pick_model_and_voice(args, settings)
        if args.list_voices:
            return list_voices(model, settings)
        if not args.text or not segment(args.text):
            print("Nothing to say: give some words, e.g. hearth say \"Hello\".", file=sys.stderr)
            return 2
        if args.out and (problem := output_problem(args.out)):
            print(problem, file=sys.stderr)  # before any voice is loaded or a word synthesised
            return 2
        speed = min(max(args.speed if args.speed is not None else settings.voice.speed, 0.5), 2.0)
        client = EngineClient(settings)
        try:
            if load_voice(client, model) is None:
                return 1
            if args.out:
                return write(client, args.text, voice, speed, args.out)
            return play(client, args.text, voice, speed, settings)
        finally:
            client.close()


def pick_model_and_voice(args: argparse.Namespace, settings: Settings) -> tuple[str, str]:
    """(speech model, voice). ``--voice espeak`` (a voice *model's* name, as users type it) selects that model."""
    entry = catalog.lookup(args.voice) if args.voice else None
    if entry is not None and entry.role is Role.TTS:
        return args.model or entry.name, settings.voice.voice
    return args.model or settings.models.tts, args.voice or settings.voice.voice


def list_voices(model: str, settings: Settings) -> int:
    """Print the voices of ``model`` (eSpeak's when it is not installed), read from its files: nothing is loaded."""
    from app.engine.runtime import build_store
    from models import registry
    from models.base import ModelError

    try:
        folder = build_store(settings).resolve(model)
        factory = registry.find_adapter((Role.TTS,), folder).factory
    except ModelError as exc:
        if model == FALLBACK_VOICE:
            print(exc, file=sys.stderr)
            return 1
        print(f"The {model} voice is not available ({str(exc).rstrip('.')}). The eSpeak voices:", file=sys.stderr)
        return list_voices(FALLBACK_VOICE, settings)
    lister = getattr(factory, "voice_names", None)
    try:
        names = lister(folder) if lister else tuple(sorted(p.stem for p in folder.path.glob("voices/*.safetensors")))
    except ModelError as exc:
        print(exc, file=sys.stderr)
        return 1
    print("\n".join(names) if names else f"(no voices found for {model})")
    return 0 if names else 1
