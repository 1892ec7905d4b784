"""The large-text switch on visitor pages: a link, remembered in a cookie, no JavaScript."""

from __future__ import annotations


def html_tag(html: str) -> str:
    return html[html.index("<html"):html.index(">", html.index("<html"))]


def test_normal_text_by_default_with_a_link_to_large_text(client, spot):
    html = client.get(f"/q/{spot.code}").get_data(as_text=True)
    assert "large-text" not in html_tag(html)
    assert f'href="/q/{spot.code}?text=large"' in html


def test_large_text_link_is_remembered(client, spot):
    client.get(f"/q/{spot.code}?text=large")
    html = client.get(f"/q/{spot.code}").get_data(as_text=True)
    assert "large-text" in html_tag(html)
    assert f'href="/q/{spot.code}?text=normal"' in html


def test_back_to_normal_text(client, spot):
    client.get(f"/q/{spot.code}?text=large")
    client.get(f"/q/{spot.code}?text=normal")
    html = client.get(f"/q/{spot.code}").get_data(as_text=True)
    assert "large-text" not in html_tag(html)


def test_unknown_size_is_ignored(client, spot):
    response = client.get(f"/q/{spot.code}?text=huge")
    assert "large-text" not in html_tag(response.get_data(as_text=True))
    assert "text=" not in response.headers.get("Set-Cookie", "")
