"""Audio ports of the session: hearing over the audio pipeline (microphone or files) and a WAV-file speaker.

The hearing thread only reads blocks, runs the (numpy) pipeline and posts typed events; speech-to-text is the
engine's job. Nothing here touches MLX.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from app.loop.vocabulary import HeardSpeech, PartialSpeech, PlaybackFinished, PlaybackFlushed, SpeechBegan
from app.engine.messages import AudioChunk, ErrorEvent, now
from app.loop.events import MicLevel
from audio.pipeline import HearingPipeline
from audio.types import AudioError, AudioFileError, SpeechStarted, Utterance

if TYPE_CHECKING:
    from audio.wav_stream import WavStream

Post = Callable[[Any], None]
LEVEL_EVERY_S = 0.05
PARTIAL_EVERY_S = 1.0  # a partial transcript of the open utterance this often


def dbfs(pcm: np.ndarray) -> float:
    rms = float(np.sqrt(np.mean(np.square(pcm, dtype=np.float64)))) if len(pcm) else 0.0
    return max(-100.0, 20 * np.log10(rms)) if rms > 0 else -100.0


class PipelineHearing:
    """Runs a hearing pipeline on its own thread and posts ``HeardSpeech`` and ``MicLevel`` to the session."""

    def __init__(self, pipeline: HearingPipeline, levels: bool = True, partials: bool = True) -> None:
        self.pipeline = pipeline
        self._levels = levels
        self._partials = partials
        self._speech_since: float | None = None
        self._post: Post = lambda _e: None
        self._thread = threading.Thread(target=self._run, name="hearth-hearing", daemon=True)
        self._stream_t = 0.0
        self._last_level = 0.0

    def start(self, post: Post) -> None:
        self._post = post
        self._thread.start()

    def _run(self) -> None:
        try:
            for block in self.pipeline.source.blocks():
                self._stream_t = block.t_end
                for event in self.pipeline.process_block(block.pcm):
                    self._on_event(event)
                self._level(block.pcm)
                self._partial(block.t_end)
            for event in self.pipeline.endpointer.flush():
                self._on_event(event)
        except AudioError as exc:
            self._post(ErrorEvent(str(exc)))

    def _level(self, pcm: np.ndarray) -> None:
        t = now()
        if self._levels and t - self._last_level >= LEVEL_EVERY_S:
            self._last_level = t
            self._post(MicLevel(dbfs(pcm), voice=self.pipeline.endpointer.current_audio() is not None))

    def _partial(self, stream_t: float) -> None:
        if self._partials and self._speech_since is not None and stream_t - self._speech_since >= PARTIAL_EVERY_S:
            audio = self.pipeline.endpointer.current_audio()
            self._speech_since = stream_t
            if audio is not None and len(audio):
                self._post(PartialSpeech(audio, 16000))

    def _on_event(self, event: Any) -> None:
        if isinstance(event, SpeechStarted):
            self._speech_since = event.t_detected
            self._post(SpeechBegan())
        if isinstance(event, Utterance):
            self._speech_since = None
            # map stream time to monotonic time: the end of speech was (stream now - t_end) seconds ago
            t_end = now() - max(0.0, self._stream_t - event.t_end)
            self._post(HeardSpeech(event.pcm, event.sample_rate, t_end))

    def push_to_talk(self, pressed: bool) -> None:
        endpointer = self.pipeline.endpointer
        action = getattr(endpointer, "press" if pressed else "release", None)
        if action is not None:
            action()

    def set_hands_free(self, enabled: bool) -> None:
        pass  # switching endpointers needs a new pipeline: the session is rebuilt by the front end

    def stop(self) -> None:
        """Close the source and wait for the hearing thread: it must not be inside the VAD's native code when the
        interpreter shuts down (that aborts the process)."""
        self.pipeline.source.close()
        if self._thread.ident is not None and self._thread is not threading.current_thread():
            self._thread.join(2.0)

    @property
    def echo_cancelled(self) -> bool:
        """True when a real echo canceller runs (not the passthrough fallback)."""
        from audio.aec import PassthroughEchoCanceller

        return not isinstance(self.pipeline.aec, PassthroughEchoCanceller)

    @property
    def finished(self) -> bool:
        return self._thread.ident is not None and not self._thread.is_alive()


class TurnByTurnHearing(PipelineHearing):
    """For files: utterances are handed over one at a time, each after the previous turn was answered, the first
    once the front end says the models are loaded (``models_ready``), so no turn's timeline holds a model load."""

    def __init__(self, pipeline: HearingPipeline) -> None:
        super().__init__(pipeline, levels=False)
        self.turn_done = threading.Event()
        self.models_ready = threading.Event()
        self.utterances = 0

    def _on_event(self, event: Any) -> None:
        if isinstance(event, Utterance):
            self.models_ready.wait(3600)
            self.turn_done.clear()
            self.utterances += 1
            self._post(HeardSpeech(event.pcm, event.sample_rate, now()))
            self.turn_done.wait(300)

    def stop(self) -> None:
        self.models_ready.set()  # nothing waits for models that will not come
        self.turn_done.set()
        super().stop()


class WavOut:
    """The speaker as a WAV file: every reply's audio, in order, with a short pause between turns.

    The file is written as the audio arrives and its header is patched after each reply, so a kill (even -9) keeps
    every finished reply as a playable WAV. The path is checked when the speaker is made, before any work: a missing
    or read-only folder is an ``AudioFileError`` with the fix."""

    available = True

    def __init__(self, path: Path, gap_s: float = 0.4) -> None:
        from audio.wav_stream import output_problem

        self.path = Path(path)
        problem = output_problem(self.path)
        if problem:
            raise AudioFileError(problem)
        self.gap_s = gap_s
        self._stream: WavStream | None = None
        self._post: Post = lambda _e: None
        self._seconds: dict[tuple[int, int], float] = {}

    def start(self, post: Post) -> None:
        self._post = post

    def play(self, chunk: AudioChunk) -> None:
        if not len(chunk.pcm):
            return
        pcm = chunk.pcm
        if self._stream is None:
            from audio.wav_stream import WavStream

            self._stream = WavStream(self.path, chunk.sample_rate)
        rate = self._stream.sample_rate
        if chunk.sample_rate != rate:
            from audio.resample import resample

            pcm = resample(pcm, chunk.sample_rate, rate)
        try:
            self._stream.append(pcm)
        except AudioError as exc:
            self._post(ErrorEvent(str(exc), turn_id=chunk.turn_id))
            return
        key = (chunk.turn_id, chunk.clause_id)
        self._seconds[key] = self._seconds.get(key, 0.0) + len(pcm) / rate

    def finish(self, turn_id: int) -> None:
        if self._stream is not None:
            try:
                self._stream.append(np.zeros(int(self.gap_s * self._stream.sample_rate), np.float32))
                self._stream.commit()  # a valid WAV of every finished reply, whatever happens next
            except AudioError as exc:
                self._post(ErrorEvent(str(exc), turn_id=turn_id))
        self._post(PlaybackFinished(turn_id))

    def flush(self, turn_id: int) -> PlaybackFlushed:
        played = {c: s for (t, c), s in self._seconds.items() if t == turn_id}
        return PlaybackFlushed(turn_id, played, played)  # a file hears everything that was written

    def stop(self) -> None:
        if self._stream is not None:
            try:
                self._stream.commit()
            except AudioError:
                pass

    def write(self) -> Path | None:
        """Close the file (header final); its path, or None when no audio was ever written."""
        if self._stream is None:
            return None
        self._stream.close()
        return self.path if self._stream.frames else None
