"""Pages and static files go out compressed to browsers that accept it."""

from __future__ import annotations

import gzip

import pytest

from tests.conftest import csrf_token


def fetch(client, url, encoding=None):
    headers = {"Accept-Encoding": encoding} if encoding else {}
    response = client.get(url, headers=headers)
    response.get_data()  # static files are streamed: read them to the end, then close
    response.close()
    return response


@pytest.mark.parametrize("encoding", ["br", "gzip"])
def test_visitor_page_is_compressed(client, spot, encoding):
    response = fetch(client, f"/q/{spot.code}", encoding)
    assert response.status_code == 200
    assert response.headers.get("Content-Encoding") == encoding


@pytest.mark.parametrize("encoding", ["br", "gzip"])
def test_stylesheet_is_compressed(client, encoding):
    response = fetch(client, "/static/css/app.css", encoding)
    assert response.status_code == 200
    assert response.headers.get("Content-Encoding") == encoding


def test_uncompressed_when_not_accepted(client, spot):
    response = fetch(client, f"/q/{spot.code}")
    assert "Content-Encoding" not in response.headers
    assert "北门厕所" in response.get_data(as_text=True)


def test_static_file_still_answers_not_modified(client):
    etag = fetch(client, "/static/css/app.css", "br").headers["ETag"]
    again = client.get("/static/css/app.css",
                       headers={"Accept-Encoding": "br", "If-None-Match": etag})
    again.close()
    assert again.status_code == 304


def test_json_api_is_not_compressed(client):
    response = fetch(client, "/api/openapi.json", "br")  # large enough to be compressed
    assert response.status_code == 200
    assert "Content-Encoding" not in response.headers


@pytest.mark.parametrize("encoding", ["br", "gzip"])
def test_the_form_with_its_problems_is_compressed_too(client, spot, encoding):
    token = csrf_token(client, f"/q/{spot.code}")
    response = client.post(f"/q/{spot.code}", data={"csrf_token": token, "body": ""},
                           headers={"Accept-Encoding": encoding})
    assert response.status_code == 400
    assert response.headers.get("Content-Encoding") == encoding
    if encoding == "gzip":
        assert "form-problem" in gzip.decompress(response.get_data()).decode()


def test_a_missing_page_is_compressed(client):
    response = fetch(client, "/q/NO-SUCH-CODE", "br")
    assert response.status_code == 404
    assert response.headers.get("Content-Encoding") == "br"
