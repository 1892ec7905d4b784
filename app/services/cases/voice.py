"""Voice notes: checked, re-encoded as AAC in MP4 without metadata, stored, transcribed.

Many older visitors speak rather than type. A voice note comes from the form's recorder
(MediaRecorder: WebM/Opus in Chrome, MP4/AAC in Safari) or any audio file the phone has
(M4A, MP3, AMR, WAV...). It is never stored as sent: the container is recognised from its
first bytes (so FFmpeg never picks a demuxer that reads playlists or other files), decoded,
checked for length (at most MAX_SECONDS) and written afresh as mono AAC in MP4, which plays
in Safari, Chrome and the WeChat browser, with no tag of the upload carried over.

A transcript is made only where an offline speech model is configured (SPEECH_MODEL_PATH,
a Vosk model folder, with the `vosk` package installed): the job `voice.transcribe` writes
it after the case is stored. Without one, a voice note is simply played.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

import av
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.database import write_transaction
from app.extensions import db
from app.models import Case, VoiceNote
from app.services.cases.metoo import first_report_messages
from app.services.cases.photos import photo_dir, store_file
from app.services.errors import DomainError, NotFoundError
from app.services.platform.urls import absolute_url_for

log = logging.getLogger(__name__)

MAX_SECONDS = 60
# a recorder stopped at 60 s writes a few milliseconds more
TOLERANCE_SECONDS = 0.5
STORED_CONTENT_TYPE = "audio/mp4"
RATE = 48_000
SAMPLE = Fraction(1, RATE)  # the stored note's time base: one sample
BIT_RATE = 64_000
# what the Vosk models expect
SPEECH_RATE = 16_000
TRANSCRIBE_PER_ROUND = 20


class VoiceError(DomainError):
    """An upload that is not a usable voice note (the message says why)."""


@dataclass(frozen=True)
class PreparedVoice:
    """A re-encoded voice note ready to be written."""

    data: bytes
    duration_ms: int

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def _sniffed_format(head: bytes) -> str | None:
    """The FFmpeg demuxer for an audio file's first bytes; None for anything else (a
    playlist, a video-only container, a picture, text)."""
    if head[4:8] == b"ftyp":
        return "mov"  # MP4, M4A, 3GP: Safari's recorder, iPhone voice memos
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "matroska"  # WebM: Chrome's and Firefox's recorder
    if head.startswith(b"OggS"):
        return "ogg"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "wav"
    if head.startswith(b"#!AMR"):
        return "amr"
    if head.startswith(b"fLaC"):
        return "flac"
    if head.startswith(b"caff"):
        return "caf"
    if head.startswith(b"ID3"):
        return "mp3"
    if len(head) > 1 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0:
        return "aac"  # ADTS
    if len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        return "mp3"
    return None


def _not_audio() -> VoiceError:
    return VoiceError(_("This file is not a voice recording we can play. Please record "
                        "again, or choose an audio file (M4A, MP3, AMR, WAV...)."))


def _too_long() -> VoiceError:
    return VoiceError(_("Please keep the voice note to %(max)d seconds or less.",
                        max=MAX_SECONDS))


def prepare_voice(stream: IO[bytes]) -> PreparedVoice:
    """Check an upload and re-encode it as mono AAC in MP4 without metadata."""
    head = stream.read(16)
    stream.seek(0)
    demuxer = _sniffed_format(head)
    if demuxer is None:
        raise _not_audio()
    try:
        return _reencode(stream, demuxer)
    except VoiceError:
        raise
    except (av.FFmpegError, ValueError, OSError, EOFError, IndexError):
        log.info("voice note refused: could not be decoded", exc_info=True)
        raise _not_audio() from None


def _reencode(stream: IO[bytes], demuxer: str) -> PreparedVoice:
    limit = int((MAX_SECONDS + TOLERANCE_SECONDS) * RATE)
    # a file, not memory: "faststart" moves the index to the front by reading it back
    with tempfile.TemporaryDirectory(prefix="voice-") as folder:
        target_path = Path(folder) / "note.m4a"
        with av.open(stream, mode="r", format=demuxer, metadata_errors="ignore") as source:
            audio = next((s for s in source.streams if s.type == "audio"), None)
            if audio is None:
                raise _not_audio()
            if audio.duration is not None and audio.time_base is not None and \
                    float(audio.duration * audio.time_base) > MAX_SECONDS + TOLERANCE_SECONDS:
                raise _too_long()  # said by the header: refused before decoding
            samples = _write_aac(source, audio, target_path, limit)
        if samples == 0:
            raise _not_audio()
        data = target_path.read_bytes()
    return PreparedVoice(data=data, duration_ms=round(samples * 1000 / RATE))


def _write_aac(source: Any, audio: Any, path: Path, limit: int) -> int:
    """Decode the upload's audio into mono AAC in MP4 at `path`; the samples written."""
    # bitexact: no "encoder" tag either; faststart: plays before it is all loaded
    with av.open(str(path), mode="w", format="mp4",
                 container_options={"movflags": "+faststart", "fflags": "+bitexact"},
                 ) as target:
        encoded = target.add_stream("aac", rate=RATE, layout="mono")
        encoded.bit_rate = BIT_RATE
        resampler = av.AudioResampler(format="fltp", layout="mono", rate=RATE)
        samples = 0
        for chunk in _resampled(resampler, source.decode(audio)):
            chunk.pts, chunk.time_base = samples, SAMPLE
            samples += chunk.samples
            if samples > limit:
                raise _too_long()
            target.mux(encoded.encode(chunk))
        target.mux(encoded.encode(None))
    return samples


def _resampled(resampler: Any, frames: Iterator[Any]) -> Iterator[Any]:
    """The decoded frames through the resampler, and what it still holds at the end."""
    for frame in frames:
        frame.pts = None  # the upload's timestamps play no part: samples are counted
        yield from resampler.resample(frame)
    yield from resampler.resample(None)


def add_voice_note(session: Session, case: Case, voice: PreparedVoice,
                   case_token_id: int | None = None) -> VoiceNote:
    """Write the file and add its row to the open write transaction (the file goes again if
    the transaction rolls back). A transcript is due when a speech model is configured."""
    row = VoiceNote(storage_name=store_file(session, voice.data, ".m4a"),
                    checksum=voice.checksum, content_type=STORED_CONTENT_TYPE,
                    size=len(voice.data), duration_ms=voice.duration_ms,
                    case_token_id=case_token_id,
                    transcript_state="pending" if speech_model_path() else None)
    case.voice_notes.append(row)
    session.flush()
    log.info("voice note of %d ms added to case %s", voice.duration_ms, case.id)
    return row


def voice_notes_by_message(case: Case) -> dict[int, list[VoiceNote]]:
    """Each voice note under the message it came with: the first visitor message of its
    report (the case's first report, or a "me too")."""
    firsts = first_report_messages(case)
    placed: dict[int, list[VoiceNote]] = {}
    for note in case.voice_notes:
        message_id = firsts.get(note.case_token_id)
        if message_id is not None:
            placed.setdefault(message_id, []).append(note)
    return placed


def attachments_json(case: Case) -> list[dict[str, Any]]:
    """A case's photos and voice notes as the API lists them (URLs for its unit's staff)."""
    photos = [{"kind": "photo", "content_type": photo.content_type, "duration_s": None,
               "url": absolute_url_for("staff.case_photo", case_id=case.id, photo_id=photo.id)}
              for photo in case.photos]
    notes = [{"kind": "voice", "content_type": note.content_type,
              "duration_s": note.duration_s,
              "url": absolute_url_for("staff.case_voice", case_id=case.id, note_id=note.id)}
             for note in case.voice_notes]
    return photos + notes


def voice_path(note: VoiceNote) -> Path:
    return photo_dir() / Path(note.storage_name).name


def find_voice_note_of_case(case: Case, note_id: int) -> VoiceNote:
    for note in case.voice_notes:
        if note.id == note_id:
            return note
    raise NotFoundError(_("No such voice note."))


# --- transcripts (optional: SPEECH_MODEL_PATH) -----------------------------------------

def speech_model_path() -> str:
    return str(current_app.config.get("SPEECH_MODEL_PATH") or "")


class TranscriptError(Exception):
    """The configured speech model could not transcribe (missing, unreadable, no vosk)."""


def _vosk() -> Any:
    try:
        import vosk  # noqa: PLC0415 - optional: only where a model is configured
    except ImportError as error:
        raise TranscriptError("the vosk package is not installed "
                              "(pip install 'park-mailbox[speech]')") from error
    return vosk


@lru_cache(maxsize=2)
def _vosk_model(path: str) -> Any:
    if not Path(path).is_dir():
        raise TranscriptError(f"SPEECH_MODEL_PATH {path!r} is not a folder")
    vosk = _vosk()
    vosk.SetLogLevel(-1)
    try:
        return vosk.Model(path)
    except Exception as error:  # vosk raises a bare Exception for a bad model
        raise TranscriptError(f"the model in {path!r} could not be loaded: {error}") from error


def _pcm_chunks(path: Path) -> Iterator[bytes]:
    """The stored note as 16 kHz mono 16-bit PCM, in chunks."""
    resampler = av.AudioResampler(format="s16", layout="mono", rate=SPEECH_RATE)
    with av.open(str(path)) as source:
        for chunk in _resampled(resampler, source.decode(audio=0)):
            yield bytes(chunk.planes[0])[: chunk.samples * 2]


# Vosk's Chinese models put a space between words: written Chinese has none
_SPACE_IN_CHINESE = re.compile(r"(?<=[\u3400-\u9fff])\s+(?=[\u3400-\u9fff])")


def transcribe(path: Path, model_path: str) -> str:
    """The words of a stored voice note, by the offline model (no network)."""
    model = _vosk_model(model_path)
    recogniser = _vosk().KaldiRecognizer(model, SPEECH_RATE)
    parts = []
    for chunk in _pcm_chunks(path):
        if recogniser.AcceptWaveform(chunk):
            parts.append(json.loads(recogniser.Result()).get("text", ""))
    parts.append(json.loads(recogniser.FinalResult()).get("text", ""))
    return _SPACE_IN_CHINESE.sub("", " ".join(p for p in parts if p)).strip()


def transcribe_pending_notes(_now: datetime | None = None) -> int:
    """The job `voice.transcribe`: transcripts of the voice notes waiting for one.

    Without SPEECH_MODEL_PATH nothing is pending. A note the model cannot transcribe is
    marked "failed" (logged) and played as it is; the case is never touched otherwise."""
    model_path = speech_model_path()
    if not model_path:
        return 0
    pending = db.session.scalars(select(VoiceNote).where(
        VoiceNote.transcript_state == "pending").order_by(VoiceNote.id)
        .limit(TRANSCRIBE_PER_ROUND)).all()
    done = 0
    for note in pending:
        text, state = None, "failed"
        try:
            text, state = transcribe(voice_path(note), model_path), "done"
        except (TranscriptError, av.FFmpegError, OSError) as error:
            log.warning("voice note %d: no transcript: %s", note.id, error)
        with write_transaction() as session:
            row = session.get(VoiceNote, note.id)
            if row is not None and row.transcript_state == "pending":
                row.transcript, row.transcript_state = text, state
                done += state == "done"
    db.session.expire_all()
    return done
