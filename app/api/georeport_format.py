"""GeoReport v2 documents as XML (required by the spec) or JSON (its Spark-convention twin).

A document is built once as plain data, a list of rows or one mapping, and rendered in
the format the URL asks for, so the two can never disagree about fields.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any
from xml.etree import ElementTree

from flask import Response, request
from werkzeug.exceptions import HTTPException

FORMATS = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
# XML element of each member of a list, by the list's element name (as in the spec)
LIST_ITEMS = {
    "services": "service",
    "service_requests": "request",
    "service_request_updates": "request_update",  # mySociety's extension
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "errors": "error",
}

XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'

Document = Mapping[str, Any] | Sequence[Mapping[str, Any]]


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _append(parent: ElementTree.Element, tag: str, value: Any) -> None:
    element = ElementTree.SubElement(parent, tag)
    _fill(element, tag, value)


def _fill(element: ElementTree.Element, tag: str, value: Any) -> None:
    if value is None:
        return
    if isinstance(value, Mapping):
        for name, member in value.items():
            _append(element, name, member)
    elif isinstance(value, list | tuple):
        item_tag = LIST_ITEMS[tag]
        for member in value:
            _append(element, item_tag, member)
    else:
        element.text = _text(value)


def to_xml(root: str, document: Document) -> bytes:
    """UTF-8 XML with the declaration the spec asks for."""
    element = ElementTree.Element(root)
    _fill(element, root, document)
    return XML_DECLARATION + ElementTree.tostring(element, encoding="unicode").encode("utf-8")


def to_json(document: Document) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


def render(fmt: str, root: str, document: Document, status: int = 200) -> Response:
    """The document in `fmt` ("xml" or "json") with the spec's content type."""
    body = to_json(document) if fmt == "json" else to_xml(root, document)
    return Response(body, status=status, content_type=FORMATS.get(fmt, FORMATS["xml"]))


def render_errors(fmt: str, status: int, descriptions: Sequence[str]) -> Response:
    """The spec's error document: a list of code + description."""
    errors = [{"code": status, "description": text} for text in descriptions]
    return render(fmt, "errors", errors, status=status)


def open311_error(error: HTTPException) -> Response:
    """An HTTP error under /open311/ (unknown URL, wrong method, rate limit) in the spec's shape."""
    fmt = "json" if request.path.endswith(".json") else "xml"
    code = error.code or 500
    return render_errors(fmt, code, [error.description or error.name])
