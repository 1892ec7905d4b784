"""A spot's blank form page is rendered once and kept; each visitor gets their own hidden
values in it (app/visitor/form_page.py)."""

from __future__ import annotations

import re

import app.visitor.form_page as module
from app.services.cases.abuse import bot_trap_reason
from tests.conftest import CSRF_INPUT, csrf_token
from tests.visitor.test_form import submit

STARTED = re.compile(r'name="started" type="hidden" value="([^"]+)"')


def hidden_values(html: str) -> tuple[str, str]:
    csrf, started = CSRF_INPUT.findall(html), STARTED.findall(html)
    assert len(csrf) == 1, csrf
    assert len(started) == 1, started
    return csrf[0], started[0]


def without_hidden_values(html: str) -> str:
    return STARTED.sub("started", CSRF_INPUT.sub("csrf", html))


def test_each_visitor_gets_the_kept_page_with_values_of_their_own(app, spot):
    first, second = app.test_client(), app.test_client()
    page_one = first.get(f"/q/{spot.code}").get_data(as_text=True)
    page_two = second.get(f"/q/{spot.code}").get_data(as_text=True)
    assert len(app.extensions[module.PAGES_KEY]) == 1
    assert module.CSRF_MARK not in page_two
    assert module.STARTED_MARK not in page_two
    (token_one, _), (token_two, started_two) = hidden_values(page_one), hidden_values(page_two)
    assert token_one != token_two
    assert without_hidden_values(page_one) == without_hidden_values(page_two)
    # the moment each form was served, signed: a real start stamp, not a mark
    assert bot_trap_reason("", started_two, now=10**10) is None
    # each visitor's token is the one their session checks
    assert submit(second, spot.code, token=token_two).status_code == 303
    assert submit(first, spot.code, token=token_two).status_code == 400


def test_the_kept_page_is_the_page_the_form_renders(app, spot, monkeypatch):
    for language in ("zh_CN", "en"):
        client = app.test_client()
        kept = client.get(f"/q/{spot.code}?lang={language}").get_data(as_text=True)
        monkeypatch.setattr("app.visitor.views.may_keep", lambda: False)
        rendered = client.get(f"/q/{spot.code}").get_data(as_text=True)
        monkeypatch.undo()
        assert without_hidden_values(kept) == without_hidden_values(rendered)


def test_a_page_per_language_and_text_size(app, spot):
    client = app.test_client()
    assert 'lang="zh-CN"' in client.get(f"/q/{spot.code}").get_data(as_text=True)
    assert 'lang="en"' in client.get(f"/q/{spot.code}?lang=en").get_data(as_text=True)
    large = client.get(f"/q/{spot.code}?text=large").get_data(as_text=True)
    assert 'class="large-text"' in large
    assert 'lang="en"' in large
    assert 'class="large-text"' not in app.test_client().get(
        f"/q/{spot.code}").get_data(as_text=True)
    assert len(app.extensions[module.PAGES_KEY]) == 3


def test_a_change_to_the_spot_shows_at_once(app, client, db, spot):
    assert "North gate toilet" in client.get(f"/q/{spot.code}?lang=en").get_data(as_text=True)
    spot.name_en = "South gate toilet"
    db.session.commit()
    html = client.get(f"/q/{spot.code}").get_data(as_text=True)
    assert "South gate toilet" in html
    assert "North gate toilet" not in html


def test_staff_get_their_own_page_and_visitors_never_see_it(app, spot, staff_client):
    staff_page = staff_client.get(f"/q/{spot.code}").get_data(as_text=True)
    assert 'id="take-case-down-here"' in staff_page
    visitor_page = app.test_client().get(f"/q/{spot.code}").get_data(as_text=True)
    assert 'id="take-case-down-here"' not in visitor_page
    assert 'id="take-case-down-here"' not in app.test_client().get(
        f"/q/{spot.code}").get_data(as_text=True)


def test_a_message_to_flash_is_shown_and_not_kept(app, spot):
    client = app.test_client()
    client.get(f"/q/{spot.code}")  # the kept page
    with client.session_transaction() as session:
        session["_flashes"] = [("info", "Thank you, seen")]
    assert "Thank you, seen" in client.get(f"/q/{spot.code}").get_data(as_text=True)
    assert "Thank you, seen" not in app.test_client().get(
        f"/q/{spot.code}").get_data(as_text=True)


def test_a_form_sent_back_keeps_the_visitors_words(client, spot):
    token = csrf_token(client, f"/q/{spot.code}")
    response = submit(client, spot.code, token=token, category="", body="长椅坏了")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "长椅坏了" in html
    assert module.CSRF_MARK not in html


def test_the_kept_pages_are_bounded(app, spot, monkeypatch):
    monkeypatch.setattr(module, "MAX_PAGES", 2)
    client = app.test_client()
    for query in ("", "?lang=en", "?text=large", "?lang=zh_CN"):
        client.get(f"/q/{spot.code}{query}")
    assert len(app.extensions[module.PAGES_KEY]) == 2
