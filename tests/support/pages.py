"""A page fetched for a negative check ("X is not shown"), proven to be the page first.

`"secret" not in client.get(url).text` also passes on an error page or a redirect to the
login; `page_text(client, url, "what only this page shows")` first asserts the status and
that content, then returns the text to check.
"""

from __future__ import annotations

from typing import Any


def page_text(client: Any, url: str, *expected: str, status: int = 200) -> str:
    response = client.get(url)
    text: str = response.get_data(as_text=True)
    assert response.status_code == status, f"{url}: {response.status_code}, not {status}"
    for content in expected:
        assert content in text, f"{url} ({status}) does not show {content!r}"
    return text
