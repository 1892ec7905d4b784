"""Voice notes (issue 23, point 6): on the visitor form, alone or beside the words; refused
with the text kept; played by the unit's staff and by the visitor who sent it, nobody else."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from app.models import Case, Event, VoiceNote
from app.services.cases.metoo import merge_me_too
from app.services.cases.voice import prepare_voice, transcribe_pending_notes
from tests.conftest import csrf_token, log_in, make_case, make_staff
from tests.support.audio import decoded, tone
from tests.support.db_snapshot import nothing_stored, photo_files
from tests.support.images import png


def send(client, code, voice: bytes | None, body: str = "", name: str = "voice.webm",
         token: str | None = None, **fields):
    data = {"category": "toilets", "body": body,
            "csrf_token": token or csrf_token(client, f"/q/{code}")}
    data.update(fields)
    if voice is not None:
        data["voice"] = (io.BytesIO(voice), name)
    return client.post(f"/q/{code}?lang=en", data=data, content_type="multipart/form-data")


def test_the_form_offers_a_voice_note_that_works_without_javascript(client, spot):
    response = client.get(f"/q/{spot.code}")
    html = response.get_data(as_text=True)
    assert '<input id="voice" name="voice" type="file" accept="audio/*"' in html
    assert 'id="voice-recorder" hidden' in html  # the recorder only where a script shows it
    assert "js/form-voice.js" in html
    # the form page alone may use the microphone, and play the recording back from a blob:
    assert "microphone=(self)" in response.headers["Permissions-Policy"]
    assert "media-src 'self' blob:" in response.headers["Content-Security-Policy"]
    tracking = client.get("/")
    assert "microphone=()" in tracking.headers["Permissions-Policy"]


def test_a_voice_note_alone_is_a_case_the_staff_hear(app, client, db, spot, staff_client):
    response = send(client, spot.code, tone("webm", "libopus", 4.0))
    assert response.status_code == 303
    case = db.session.scalars(select(Case)).one()
    assert case.body == ""
    (note,) = case.voice_notes
    assert note.content_type == "audio/mp4"
    assert note.duration_ms == pytest.approx(4000, abs=100)
    assert note.transcript_state is None  # no speech model configured
    assert note.storage_name in photo_files()
    assert note.storage_name.endswith(".m4a")
    # the staff phones' alert stands the voice note for the words
    event = db.session.scalars(select(Event).where(Event.case_id == case.id)).one()
    assert event.payload["excerpt"] == "🎤 0:04"
    assert event.payload["voice_count"] == 1

    page = staff_client.get(f"/staff/cases/{case.id}?lang=en").get_data(as_text=True)
    url = f"/staff/cases/{case.id}/voice/{note.id}"
    assert f'<audio controls preload="none" src="{url}">' in page
    assert "Voice note, 4.0 s" in page
    played = staff_client.get(url)
    assert played.status_code == 200
    assert played.mimetype == "audio/mp4"
    assert played.headers["Accept-Ranges"] == "bytes"
    assert played.headers["Cache-Control"] == "private, no-store"
    assert decoded(played.data)[1:3] == ("aac", 1)
    # Safari's player asks for the first bytes before it plays
    part = staff_client.get(url, headers={"Range": "bytes=0-1"})
    assert part.status_code == 206
    assert part.data == played.data[:2]
    assert part.headers["Content-Range"] == f"bytes 0-1/{len(played.data)}"


def test_words_and_a_voice_note_go_together(client, db, spot):
    response = send(client, spot.code, tone("mp4", "aac", 2.0), body="厕所没有纸了",
                    name="memo.m4a")
    assert response.status_code == 303
    case = db.session.scalars(select(Case)).one()
    assert case.body == "厕所没有纸了"
    assert len(case.voice_notes) == 1


def test_neither_words_nor_a_voice_note_is_the_form_again(client, db, spot):
    token = csrf_token(client, f"/q/{spot.code}")
    with nothing_stored("empty message"):
        response = send(client, spot.code, None, token=token)
    assert response.status_code == 400
    assert "or record a voice note" in response.get_data(as_text=True)


@pytest.mark.parametrize(("upload", "message"), [
    (tone("webm", "libopus", 61.0, bit_rate=12_000), "60 seconds or less"),
    (png(), "not a voice recording"),
    ("我写的字".encode(), "not a voice recording"),
], ids=["too-long", "a-picture", "text"])
def test_a_refused_voice_note_keeps_what_the_visitor_wrote(client, db, spot, upload, message):
    token = csrf_token(client, f"/q/{spot.code}")
    with nothing_stored("refused voice note"):
        response = send(client, spot.code, upload, body="洗手池坏了，漏水", contact="13800138000",
                        token=token)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html
    assert "洗手池坏了，漏水</textarea>" in html
    assert 'value="13800138000"' in html
    assert 'aria-describedby="voice-errors"' in html


def test_only_the_units_staff_and_the_sender_play_it(app, client, db, spot, other_unit):
    receipt = make_case(spot, body="", voice=prepare_voice(io.BytesIO(tone("wav", "pcm_s16le"))))
    note = receipt.case.voice_notes[0]
    staff_url = f"/staff/cases/{receipt.case.id}/voice/{note.id}"
    # not signed in: the sign-in page, never the sound
    anonymous = client.get(staff_url)
    assert anonymous.status_code in (302, 303)
    assert anonymous.mimetype != "audio/mp4"
    make_staff(other_unit, "boss@xy.test")
    other = app.test_client()
    log_in(other, "boss@xy.test")
    assert other.get(staff_url).status_code == 404
    # the visitor who sent it plays it from their own page
    track = client.get(f"/t/{receipt.token}?lang=en").get_data(as_text=True)
    # their message in the thread, words or none, says what they sent
    thread = track[track.index('class="thread-list"'):]
    assert "Your voice note, 2.0 s" in thread[:thread.index("</ol>")]
    own_url = f"/t/{receipt.token}/voice/{note.id}"
    assert own_url in track
    assert "Your voice note" in track
    assert client.get(own_url).mimetype == "audio/mp4"
    # a "me too" visitor of the same case does not
    joined = make_case(spot, body="厕所没有纸了")  # words: a case of its own, not joined
    assert not joined.joined
    assert client.get(f"/t/{joined.token}/voice/{note.id}").status_code == 404


def test_a_voice_note_alone_never_joins_another_case_as_me_too(db, spot):
    first = make_case(spot, body="厕所没有纸了")
    alone = make_case(spot, body="", voice=prepare_voice(io.BytesIO(tone())))
    assert not alone.joined
    assert alone.case.id != first.case.id


def test_a_me_too_visitors_voice_note_is_theirs_and_moves_with_a_merge(app, client, db, spot):
    first = make_case(spot, body="厕所没有纸了")
    joined = make_case(spot, body="厕所里没有纸了", voice=prepare_voice(io.BytesIO(tone())))
    assert joined.joined
    assert joined.case.id == first.case.id
    note = db.session.scalars(select(VoiceNote)).one()
    assert note.case_token_id is not None
    # the first visitor cannot play the "me too" visitor's note; its sender can
    assert client.get(f"/t/{first.token}/voice/{note.id}").status_code == 404
    assert client.get(f"/t/{joined.token}/voice/{note.id}").status_code == 200

    director = make_staff(spot.park.unit, "boss@rt.test")
    other = make_case(spot, category_code="noise", body="广场舞太吵",
                      voice=prepare_voice(io.BytesIO(tone("mp3", "libmp3lame"))))
    merge_me_too(user=director, case_id=other.case.id, into_reference=first.case.reference)
    db.session.expire_all()
    target = db.session.get(Case, first.case.id)
    assert len(target.voice_notes) == 2
    assert db.session.get(Case, other.case.id).voice_notes == []
    moved = next(n for n in target.voice_notes if n.id != note.id)
    # its visitor still plays it, through the link that now opens the target
    assert client.get(f"/t/{other.token}/voice/{moved.id}").status_code == 200


def test_the_api_lists_photos_and_voice_notes_as_attachments(app, db, spot, staff_client):
    from app.services.cases.photos import prepare_photo

    receipt = make_case(spot, photos=[prepare_photo(io.BytesIO(png()))],
                        voice=prepare_voice(io.BytesIO(tone(seconds=2.5))))
    document = staff_client.get(f"/api/v1/cases/{receipt.case.id}").get_json()
    photo, voice = document["attachments"]
    base = app.config["BASE_URL"]
    assert photo == {"kind": "photo", "content_type": "image/jpeg", "duration_s": None,
                     "url": f"{base}/staff/cases/{receipt.case.id}/photos/"
                            f"{receipt.case.photos[0].id}"}
    assert voice["kind"] == "voice"
    assert voice["content_type"] == "audio/mp4"
    assert voice["duration_s"] == pytest.approx(2.5, abs=0.1)
    assert staff_client.get(voice["url"].removeprefix(base)).mimetype == "audio/mp4"


@pytest.mark.config(SPEECH_MODEL_PATH="/nonexistent/vosk-model-small-cn")
def test_a_speech_model_that_cannot_be_loaded_leaves_the_note_playable(app, db, spot,
                                                                        staff_client, caplog):
    receipt = make_case(spot, body="", voice=prepare_voice(io.BytesIO(tone())))
    note = receipt.case.voice_notes[0]
    assert note.transcript_state == "pending"
    page = staff_client.get(f"/staff/cases/{receipt.case.id}?lang=en").get_data(as_text=True)
    assert "A transcript is being made." in page
    assert transcribe_pending_notes() == 0
    db.session.expire_all()
    assert db.session.get(VoiceNote, note.id).transcript_state == "failed"
    assert f"voice note {note.id}: no transcript" in caplog.text
    page = staff_client.get(f"/staff/cases/{receipt.case.id}?lang=en").get_data(as_text=True)
    assert "No transcript: the speech model could not read this note" in page
    assert staff_client.get(f"/staff/cases/{receipt.case.id}/voice/{note.id}").status_code == 200


def test_without_a_speech_model_the_job_does_nothing(app, db, spot):
    make_case(spot, body="", voice=prepare_voice(io.BytesIO(tone())))
    assert transcribe_pending_notes() == 0
    assert db.session.scalars(select(VoiceNote)).one().transcript_state is None
