"""`hearth listen [--in FILE.wav]`: print voice-activity events and transcripts, live from the microphone or a file.

Capture, echo cancellation, voice activity and endpointing run on this (main) thread; speech-to-text runs on the
engine thread (``Transcribe`` requests; partial transcripts at low priority while the user is still speaking).
"""

from __future__ import annotations

import argparse
import queue
import sys
import threading
from dataclasses import dataclass
from typing import TextIO

import numpy as np

from app.commands import command
from app.engine.messages import ErrorEvent, Transcribe, TranscriptEvent, new_turn_id
from app.config.settings import ListenMode, Settings, load_settings
from audio.capture import MicrophoneSource
from audio.endpoint import EndpointConfig, PushToTalkEndpointer
from audio.pipeline import HearingPipeline, build_hearing
from audio.sources import AudioSource, WavFileSource
from audio.types import STT_RATE, AudioError, DeviceSwitched, SpeechEnded, SpeechStarted, Utterance
from models.base import Role

PARTIAL_EVERY_S = 1.0


@dataclass(frozen=True)
class ListenOptions:
    wav: str | None
    device: str | None
    model: str | None  # None: no speech-to-text
    endpoint: EndpointConfig
    push_to_talk: bool
    aec: bool
    partials: bool
    realtime: bool


def options_from(args: argparse.Namespace, settings: Settings) -> ListenOptions:
    a = settings.audio
    sensitivity = a.vad_sensitivity if args.sensitivity is None else args.sensitivity
    pause = a.end_pause_ms if args.pause_ms is None else args.pause_ms
    ptt = args.push_to_talk or (a.mode == ListenMode.PUSH_TO_TALK and args.wav is None)
    return ListenOptions(
        wav=args.wav,
        device=args.device or a.input_device or None,
        model=None if args.no_stt else (args.model or settings.models.stt),
        endpoint=EndpointConfig.from_sensitivity(sensitivity, float(pause)),
        push_to_talk=ptt and args.wav is None,
        aec=a.echo_cancellation and not args.no_aec,
        partials=not args.no_partials,
        realtime=args.realtime,
    )


class Transcriber:
    """Submits utterances to the engine and prints transcripts as they come back (never blocks capture)."""

    def __init__(self, model: str, settings: Settings, out: TextIO) -> None:
        from app.engine.client import EngineClient

        self.out, self.client, self.ok = out, EngineClient(settings), False
        self._partial_busy = False
        self._pending = 0
        event = self.client.load(Role.STT, model)
        if isinstance(event, ErrorEvent):
            print(f"Speech-to-text unavailable: {event.message} (voice activity only)", file=sys.stderr)
        else:
            self.ok = True
            print(f"Speech-to-text model {model} ready ({event.load_seconds:.1f} s).", file=sys.stderr)

    def submit(self, pcm: np.ndarray, partial: bool) -> None:
        if not self.ok or (partial and self._partial_busy):
            return
        self._partial_busy |= partial
        self._pending += 1
        self.client.engine.submit(Transcribe(new_turn_id(), pcm.astype(np.float32), STT_RATE, partial=partial))

    def poll(self, timeout: float | None = None) -> None:
        while self._pending:
            try:
                event = self.client.events.get(timeout=timeout) if timeout else self.client.events.get_nowait()
            except queue.Empty:
                return
            if isinstance(event, (TranscriptEvent, ErrorEvent)):
                self._pending -= 1
                self._show(event)

    def _show(self, event: TranscriptEvent | ErrorEvent) -> None:
        if isinstance(event, ErrorEvent):
            self._partial_busy = False
            print(f"transcription failed: {event.message}", file=sys.stderr)
        elif event.partial:
            self._partial_busy = False
            print(f"          … {event.text}", file=self.out, flush=True)
        else:
            print(f"          transcript ({event.audio_seconds:.1f} s): {event.text!r}", file=self.out, flush=True)

    def close(self) -> None:
        self.poll(timeout=120.0)
        self.client.close()


def open_source(opts: ListenOptions) -> AudioSource:
    if opts.wav is not None:
        return WavFileSource(opts.wav, realtime=opts.realtime)

    def notice(n: DeviceSwitched) -> None:
        print(n.message, file=sys.stderr)

    return MicrophoneSource(opts.device, on_notice=notice)


def show(event: object, out: TextIO) -> None:
    if isinstance(event, SpeechStarted):
        print(f"[{event.t:7.2f}s] speech started", file=out, flush=True)
    elif isinstance(event, SpeechEnded):
        lag = (event.t_detected - event.t) * 1000
        print(f"[{event.t:7.2f}s] speech ended (end of turn decided {lag:.0f} ms later)", file=out, flush=True)


def toggle_on_enter(endpointer: PushToTalkEndpointer) -> None:
    """Push-to-talk in a terminal: Enter starts talking, Enter again stops."""
    for _line in sys.stdin:
        (endpointer.release if endpointer.pressed else endpointer.press)()


def listen(pipe: HearingPipeline, stt: Transcriber | None, partials: bool, out: TextIO) -> int:
    next_partial = PARTIAL_EVERY_S
    utterances = 0
    try:
        for block in pipe.source.blocks():
            for event in pipe.process_block(block.pcm):
                show(event, out)
                if isinstance(event, Utterance):
                    utterances += 1
                    if stt:
                        stt.submit(event.pcm, partial=False)
                    next_partial = PARTIAL_EVERY_S
            current = pipe.endpointer.current_audio() if stt and partials else None
            if current is not None and len(current) / STT_RATE >= next_partial:
                stt.submit(current, partial=True)  # type: ignore[union-attr]
                next_partial += PARTIAL_EVERY_S
            if stt:
                stt.poll()
    finally:
        pipe.source.close()
    for event in pipe.endpointer.flush():
        show(event, out)
        if isinstance(event, Utterance):
            utterances += 1  # counted whether or not there is speech-to-text to transcribe it
            if stt:
                stt.submit(event.pcm, partial=False)
    print(summary(utterances, pipe.counters.seconds, transcribed=stt is not None), file=sys.stderr)
    return 0


def summary(utterances: int, seconds: float, transcribed: bool) -> str:
    tail = "" if transcribed or not utterances else " (no transcripts)"
    return f"{utterances} utterance(s) in {seconds:.1f} s of audio{tail}."


@command
class ListenCommand:
    name = "listen"
    help = "print voice activity and transcripts live from the microphone or a WAV file"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--in", dest="wav", metavar="FILE.wav", help="read this WAV file instead of the mic")
        parser.add_argument("--device", "-d", help="microphone name (or part of it); default: settings / system")
        parser.add_argument("--model", "-m", help="speech-to-text model (default: settings)")
        parser.add_argument("--no-stt", action="store_true", help="voice activity only, no transcripts")
        parser.add_argument("--no-partials", action="store_true", help="no partial transcripts while speaking")
        parser.add_argument("--push-to-talk", action="store_true", help="Enter starts/stops talking (mic only)")
        parser.add_argument("--sensitivity", type=float, help="voice detection sensitivity 0..1 (default: settings)")
        parser.add_argument("--pause-ms", type=int, help="silence that ends a turn, ms (default: settings)")
        parser.add_argument("--no-aec", action="store_true", help="turn echo cancellation off")
        parser.add_argument("--realtime", action="store_true", help="pace a file like a live microphone")

    def run(self, args: argparse.Namespace) -> int:
        loaded = load_settings()
        for problem in loaded.problems:
            print(problem.message, file=sys.stderr)
        opts = options_from(args, loaded.settings)
        try:
            source = open_source(opts)
            pipe, notes = build_hearing(source, opts.endpoint, opts.push_to_talk, "silero", "webrtc" if opts.aec else "none")
        except AudioError as e:
            print(str(e), file=sys.stderr)
            return 2
        for note in notes:
            print(note, file=sys.stderr)
        if isinstance(pipe.endpointer, PushToTalkEndpointer):
            threading.Thread(target=toggle_on_enter, args=(pipe.endpointer,), daemon=True).start()
            print("Push-to-talk: press Enter to start talking, Enter again to stop. Ctrl-C quits.", file=sys.stderr)
        stt = Transcriber(opts.model, loaded.settings, sys.stdout) if opts.model else None
        try:
            return listen(pipe, stt if stt and stt.ok else None, opts.partials, sys.stdout)
        except AudioError as e:
            print(str(e), file=sys.stderr)
            return 2
        finally:
            if stt:
                stt.close()
