"""Voice notes re-encoded: every recorder's format in, AAC in MP4 out, no tag of the upload,
at most 60 seconds, and anything that is not audio refused before FFmpeg picks a demuxer."""

from __future__ import annotations

import io

import pytest

from app.services.cases.voice import STORED_CONTENT_TYPE, VoiceError, prepare_voice
from tests.support.audio import decoded, tone
from tests.support.images import png


@pytest.fixture(autouse=True)
def english(app):
    """The messages in English (zh-CN is the default language)."""
    with app.test_request_context("/?lang=en"):
        yield

# what phones and browsers send: Chrome/Firefox MediaRecorder, Safari MediaRecorder and
# iPhone voice memos, an MP3 from a chat app, a WAV from a recorder app
RECORDINGS = [("webm", "libopus", "mono"), ("mp4", "aac", "mono"), ("mp3", "libmp3lame", "mono"),
              ("mp3", "libmp3lame", "stereo"),
              ("wav", "pcm_s16le", "mono"), ("ogg", "libopus", "stereo")]


@pytest.mark.parametrize(("container", "codec", "layout"), RECORDINGS)
def test_every_recording_becomes_mono_aac_in_mp4_of_the_same_length(app, container, codec,
                                                                      layout):
    voice = prepare_voice(io.BytesIO(tone(container, codec, 3.0, layout=layout)))
    kind, stored_codec, channels, seconds, _tags, _stream_tags = decoded(voice.data)
    assert kind.startswith("mov,mp4")
    assert voice.data[4:8] == b"ftyp"
    assert (stored_codec, channels) == ("aac", 1)
    assert seconds == pytest.approx(3.0, abs=0.1)
    assert voice.duration_ms == pytest.approx(3000, abs=100)
    # "faststart": the index comes before the sound, so a phone plays it while it loads
    assert voice.data.index(b"moov") < voice.data.index(b"mdat")
    assert STORED_CONTENT_TYPE == "audio/mp4"


def test_no_tag_of_the_upload_is_kept(app):
    upload = tone("mp4", "aac", 1.0, tags={"title": "王先生的录音", "artist": "13912345678",
                                            "location": "+39.9130+116.4410/"},
                  stream_tags={"handler_name": "iPhone 15 Pro"})
    assert b"13912345678" in upload  # the test's upload does carry them
    voice = prepare_voice(io.BytesIO(upload))
    _kind, _codec, _channels, _seconds, tags, stream_tags = decoded(voice.data)
    for secret in ("王先生的录音".encode(), b"13912345678", b"+39.9130", b"iPhone", b"Lavf"):
        assert secret not in voice.data
    assert set(tags) <= {"major_brand", "minor_version", "compatible_brands"}
    assert "title" not in tags
    assert "encoder" not in tags
    assert stream_tags.get("handler_name") != "iPhone 15 Pro"


@pytest.mark.parametrize("container", ["webm", "wav"])
def test_over_sixty_seconds_is_refused(app, container):
    # WebM from a recorder has no length in its header (counted while decoding); WAV has one
    codec = "libopus" if container == "webm" else "pcm_s16le"
    with pytest.raises(VoiceError, match="60 seconds"):
        prepare_voice(io.BytesIO(tone(container, codec, 61.0)))


def test_sixty_seconds_is_accepted(app):
    voice = prepare_voice(io.BytesIO(tone("webm", "libopus", 60.0)))
    assert voice.duration_ms == pytest.approx(60_000, abs=100)


@pytest.mark.parametrize("upload", [
    b"",
    "垃圾桶满了".encode(),
    # an HLS playlist would make FFmpeg open the files and addresses it lists
    b"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n",
    b"ffconcat version 1.0\nfile '/etc/passwd'\n",
    png(),
    b"\x1a\x45\xdf\xa3" + bytes(300),  # a WebM header and nothing after it
], ids=["empty", "text", "hls-playlist", "concat-list", "png", "broken-webm"])
def test_what_is_not_audio_is_refused_with_a_clear_message(app, upload):
    with pytest.raises(VoiceError, match="not a voice recording"):
        prepare_voice(io.BytesIO(upload))


def test_a_cut_off_mp4_without_its_index_is_refused(app):
    whole = tone("mp4", "aac", 2.0)  # written with its index (moov) at the end
    with pytest.raises(VoiceError, match="not a voice recording"):
        prepare_voice(io.BytesIO(whole[: len(whole) // 3]))
