"""What the public sees of a case: never a visitor's words as written.

Public outputs (Open311 GET requests, any public page) show a case's text only as the
summary a staff member approved or, until there is one, with personal data masked: mobile
and landline numbers, 18-digit ID numbers, e-mail addresses and licence plates become
`***`. A case staff marked private shows no text at all. A photo is public only when a
staff member marked it so (and its case is not private).

The visitor's own tracking page is not public: it shows their own words and the park's
replies (masked for a "me too" visitor), never another visitor's (`visible_to`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from app.models import Case, Message, MessageKind, Photo, Status, VoiceNote

MASK = "***"

# full-width digits, letters and the signs inside an address or a number, read as ASCII
# (one character for one, so a match's span is the same in the original text)
_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_FULL_WIDTH[0x3000] = 0x20  # ideographic space
_SEP = r"[ \t.\-\u2010-\u2015]?"  # a space, dot or dash between groups of digits

PATTERNS = (
    # e-mail addresses (before the numbers: an address may hold digits)
    re.compile(r"[\w.+-]+\s?@\s?[\w-]+(?:\.[\w-]+)+", re.ASCII),
    # 18-digit resident ID numbers (the last may be X), also in groups 6-8-4
    re.compile(rf"(?<!\d)\d{{6}}{_SEP}\d{{8}}{_SEP}\d{{3}}[\dXx](?![\dA-Za-z])"),
    # mobile numbers: 1[3-9] and 9 more digits, with spaces or dashes, after +86 or not
    re.compile(rf"(?<![\d+])(?:(?:\+|00)?86{_SEP})?1[3-9]\d(?:{_SEP}\d){{8}}(?!\d)"),
    # landlines with an area code: 010-12345678, (0755) 1234567, +86 10 12345678
    re.compile(rf"(?<![\d+])(?:(?:\+|00)86{_SEP}\(?0?|\(?0)[1-9]\d{{1,2}}\)?{_SEP}"
               rf"\d{{3,4}}{_SEP}\d{{4}}(?!\d)"),
    # landlines without an area code, written in two groups: 6512-3456, 6512 3456
    re.compile(rf"(?<![\d-])[2-9]\d{{3}}{_SEP}\d{{4}}(?![\d-])"),
    # Chinese licence plates: province, letter, then 5 (6 for new energy) letters/digits
    re.compile(r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼]"
               r"\s?[A-Za-z][\s·•.\-]?[A-Za-z0-9]{4,5}[A-Za-z0-9挂学警港澳]"
               r"(?![A-Za-z0-9])"),
)


def mask_personal_data(text: str) -> str:
    """The text with every phone number, ID number, e-mail address and plate as ***."""
    if not text:
        return text
    seen = text.translate(_FULL_WIDTH)
    spans: list[tuple[int, int]] = []
    for pattern in PATTERNS:
        for match in pattern.finditer(seen):
            start, end = match.span()
            if not any(start < e and s < end for s, e in spans):
                spans.append((start, end))
    for start, end in sorted(spans, reverse=True):
        text = text[:start] + MASK + text[end:]
    return text


def public_description(case: Case) -> str:
    """A case's text as public outputs show it: the approved summary, or masked, or ''."""
    if case.private or case.status == Status.SPAM:
        return ""
    if case.public_summary:
        return case.public_summary
    return mask_personal_data(case.body)


def public_reply(case: Case, body: str | None) -> str | None:
    """A staff reply as public outputs show it (masked: it may name the visitor)."""
    if body is None or case.private or case.status == Status.SPAM:
        return None
    return mask_personal_data(body)


def is_public_photo(case: Case, photo: Photo) -> bool:
    return photo.public and not case.private and case.status != Status.SPAM


def public_photos(case: Case) -> list[Photo]:
    return [photo for photo in case.photos if is_public_photo(case, photo)]


# --- the visitor's own tracking page ------------------------------------------------------

def visible_to(case: Case, link_id: int | None) -> tuple[list[Message], list[Photo]]:
    """The thread entries and photos a visitor's tracking link shows.

    The park's replies and the status steps, and of the visitors' words and photos only
    those sent through this link (None: the first visitor's); staff photos (the park's
    answer) too. Another visitor's text or photo never.
    """
    thread = [message for message in case.messages if message.is_public
              and (message.kind != MessageKind.VISITOR or message.case_token_id == link_id)]
    photos = [photo for photo in case.photos
              if photo.uploaded_by_id is not None or photo.case_token_id == link_id]
    return thread, photos


def own_voice_notes(case: Case, link_id: int | None) -> list[VoiceNote]:
    """The voice notes a visitor's link may play: those sent through it, no other's."""
    return [note for note in case.voice_notes if note.case_token_id == link_id]


def shown_text(message: Message, link_id: int | None) -> str:
    """A thread entry's words on a visitor's page: a reply to the case is masked for a
    "me too" visitor (it was written to the first visitor and may name them)."""
    if link_id is not None and message.kind == MessageKind.REPLY:
        return mask_personal_data(message.body)
    return message.body


def own_photo(case: Case, link_id: int | None, photo_id: int) -> Photo | None:
    """One photo the visitor's link may open, or None."""
    _thread, photos = visible_to(case, link_id)
    return next((photo for photo in photos if photo.id == photo_id), None)


__all__: Sequence[str] = ("MASK", "is_public_photo", "mask_personal_data", "own_photo",
                          "own_voice_notes", "public_description", "public_photos", "public_reply",
                          "shown_text", "visible_to")
