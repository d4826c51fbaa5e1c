"""`hearth voice`: a spoken conversation in the terminal — live, or from WAV files (`--in q.wav --out reply.wav`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.config import paths
from app.commands import command
from app.config.settings import load_settings
from app.loop.book import Start
from app.terminal.conversation_args import add_conversation_arguments, add_mode_arguments, conversation_choice
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
        add_conversation_arguments(parser)
        add_mode_arguments(parser)

    def run(self, args: argparse.Namespace) -> int:
        settings = load_settings().settings
        log_file = paths.log_dir() / "timeline.jsonl"
        print(f"[turn timelines are appended to {log_file}]", file=sys.stderr)
        options = VoiceOptions(
            inputs=tuple(Path(p) for p in args.inputs), out=args.out, timeline=args.timeline,
            model=args.model, stt=args.stt, tts=args.tts, voice=args.voice, look=args.look,
            push_to_talk=args.push_to_talk, max_tokens=args.max_tokens,
            mode=args.mode or "", workspace=args.workspace or "",
            log_file=log_file, choice=conversation_choice(args, settings, Start.NEW if args.inputs else None),
        )
        return run_voice(options, sys.stdout, sys.stderr)
