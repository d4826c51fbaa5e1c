"""`hearth voice`: a spoken conversation in the terminal — live, or from WAV files (`--in q.wav --out reply.wav`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.config import paths
from app.commands import command
from app.terminal.voice import VoiceOptions, run_voice


@command
class VoiceCommand:
    name = "voice"
    help = "spoken conversation: listen, look, answer and speak (live, or WAV in / WAV out)"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--in", dest="inputs", action="append", default=[], metavar="FILE.wav",
                            help="take the user's speech from this WAV file instead of the microphone (repeatable)")
        parser.add_argument("--out", type=Path, help="write Hearth's spoken replies to this WAV file")
        parser.add_argument("--timeline", action="store_true", help="print each turn's latency timeline")
        parser.add_argument("--model", help="chat model (default: settings)")
        parser.add_argument("--stt", help="speech-to-text model (default: settings)")
        parser.add_argument("--tts", help="voice model (default: settings; falls back to espeak)")
        parser.add_argument("--voice", help="voice name (default: settings)")
        parser.add_argument("--look", default="none", help="frames for 'what is this' turns: none, screen, camera, "
                            "synthetic, or an image/video file (default none)")
        parser.add_argument("--push-to-talk", action="store_true", help="hold Enter to talk (live mode)")
        parser.add_argument("--max-tokens", type=int, default=300, help="longest reply in tokens (default 300)")

    def run(self, args: argparse.Namespace) -> int:
        options = VoiceOptions(
            inputs=tuple(Path(p) for p in args.inputs), out=args.out, timeline=args.timeline,
            model=args.model, stt=args.stt, tts=args.tts, voice=args.voice, look=args.look,
            push_to_talk=args.push_to_talk, max_tokens=args.max_tokens,
            log_file=paths.log_dir() / "timeline.jsonl",
        )
        return run_voice(options, sys.stdout, sys.stderr)
