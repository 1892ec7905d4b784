"""Both languages are complete: every user-facing string is in the zh and en catalogs,
translated, and no template or flashed message carries text that bypasses them."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from jinja2 import Environment

ROOT = Path(__file__).resolve().parent.parent
CATALOGS = {"zh": ROOT / "app/translations/zh/LC_MESSAGES/messages.po",
            "en": ROOT / "app/translations/en/LC_MESSAGES/messages.po"}
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
# text that is meant to stay as it is in every language: each language's own name
LITERAL_OK = {"中文", "English"}
USER_FACING_ATTRIBUTE = re.compile(r'\b(?:aria-label|title|placeholder|alt)="([^"]*)"')
TAG = re.compile(r"<!--.*?-->|<(style|script)\b.*?</\1>|<[^>]*>", re.DOTALL | re.IGNORECASE)
# file formats and units ("(PDF)", "1200 px") and file names read the same in every language
NOT_A_WORD = re.compile(r"[A-Z0-9]{2,}|px|mm")
FILE_NAME = re.compile(r"[\w./-]+\.(?:json|xml|pdf|png|svg|csv|xlsx)")
# Printed posters carry both languages side by side on purpose: one sign serves every
# visitor, so their text is not translated per page.
BILINGUAL = ("templates/posters/",)
WORDS = re.compile(r"[A-Za-z\u3400-\u9fff]{2,}[^<\x00]*")
PLACEHOLDER = "\x00"
# blocks and macros whose output goes inside a tag (a class name, attributes), not on screen
INSIDE_TAGS = {"body_class", "described_by"}


def source_messages() -> set[str]:
    """The msgids in the code and templates, as `make messages` extracts them."""
    with (ROOT / "babel.cfg").open() as config:
        methods, options = parse_mapping_cfg(config)
    found: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), methods, options, keywords=KEYWORDS, comment_tags=()):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def catalog(language: str) -> dict[str, object]:
    with CATALOGS[language].open("rb") as handle:
        return {m.id if isinstance(m.id, str) else m.id[0]: m for m in read_po(handle) if m.id}


def literal_template_text(source: str) -> list[str]:
    """Text a template shows outside `_()`: its data with every Jinja part blanked out."""
    parts = []
    opened, skipping = None, None
    for _line, kind, value in Environment().lex(source):  # noqa: S701 - lexing only
        if kind == "name" and opened and value in INSIDE_TAGS:
            skipping = "end" + opened
        if kind == "name" and value == skipping:
            skipping = None
        if kind != "whitespace":
            opened = value if kind == "name" and value in ("block", "macro") else None
        parts.append(value if kind == "data" and not skipping else PLACEHOLDER)
    data = "".join(parts)
    found = [value for value in USER_FACING_ATTRIBUTE.findall(data)
             if WORDS.search(value.replace(PLACEHOLDER, " "))]
    for chunk in TAG.sub(PLACEHOLDER, data).split(PLACEHOLDER):
        text = " ".join(chunk.split())
        words = re.findall(r"[A-Za-z\u3400-\u9fff]+", text)
        if (WORDS.search(text) and text not in LITERAL_OK and not FILE_NAME.fullmatch(text)
                and not all(NOT_A_WORD.fullmatch(word) for word in words)):
            found.append(text)
    return found


@pytest.mark.parametrize("language", sorted(CATALOGS))
def test_every_source_string_is_in_the_catalog(language):
    missing = sorted(source_messages() - set(catalog(language)))
    assert missing == [], f"run `make messages` and translate: {missing}"


@pytest.mark.parametrize("language", sorted(CATALOGS))
def test_every_catalog_entry_is_translated(language):
    untranslated = sorted(
        message_id for message_id, message in catalog(language).items()
        if message.fuzzy or not all(message.string if isinstance(message.string, tuple)
                                    else [message.string])
    )
    assert untranslated == []


def test_chinese_catalog_really_is_chinese():
    """A zh entry copied from the English source is not a translation."""
    copied = sorted(message_id for message_id, message in catalog("zh").items()
                    if message.string == message_id and re.search("[A-Za-z]{3}", message_id)
                    and not re.fullmatch(r"[\W\d]*%\(\w+\)s[\W\d]*", message_id))
    assert copied == []


TEMPLATES = sorted(path.relative_to(ROOT).as_posix() for path in (ROOT / "templates").rglob("*")
                   if path.suffix in (".html", ".txt")
                   and not path.relative_to(ROOT).as_posix().startswith(BILINGUAL))


@pytest.mark.parametrize("template", TEMPLATES)
def test_template_has_no_text_outside_the_catalogs(template):
    assert literal_template_text((ROOT / template).read_text()) == []


def test_flashed_messages_are_translated():
    """flash() takes `_("...")`, never a bare string or an f-string."""
    bare = []
    for path in (ROOT / "app").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "flash"
                    and node.args and isinstance(node.args[0], ast.Constant | ast.JoinedStr)):
                bare.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert bare == []


def test_the_template_check_finds_literal_text():
    assert literal_template_text('<p class="x">{{ _("Hi") }}</p>') == []
    assert literal_template_text("<p>{{ n }} messages</p>") == ["messages"]
    assert literal_template_text('<a aria-label="Close">×</a>') == ["Close"]
    assert literal_template_text("<option {% if a %}selected{% endif %}>{{ b }}</option>") == []
    assert literal_template_text("<style>p { color: red; }</style><a>{{ _('x') }} (PDF)</a>") == []
