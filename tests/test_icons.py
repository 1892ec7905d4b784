"""Category icons are inline SVG from the app's own set, whatever the phone's fonts."""

from __future__ import annotations

import pytest

from app.icons import ICONS, icon, icon_name
from app.services.accounts.onboarding import CATEGORIES


def test_every_demo_category_has_an_icon_of_the_set():
    assert [code for code, _zh, _en, name, *_rest in CATEGORIES if name not in ICONS] == []


@pytest.mark.parametrize(("stored", "expected"), [
    ("toilet", "toilet"), ("🚻", "toilet"), ("⚠\ufe0f", "warning"), ("", "dot"), ("nope", "dot")])
def test_icon_names_include_the_old_emoji(stored, expected):
    assert icon_name(stored) == expected


def test_icon_is_decorative_svg():
    markup = str(icon("noise"))
    assert markup.startswith("<svg")
    assert 'aria-hidden="true"' in markup


def test_form_shows_svg_icons_not_emoji(client, spot):
    html = client.get(f"/q/{spot.code}").get_data(as_text=True)
    # the test unit's two categories, and the voice note's microphone
    assert html.count('<svg class="icon"') == 3
    assert "🚻" not in html
