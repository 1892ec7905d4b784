"""Marshmallow schemas of the JSON API: they validate input and generate the OpenAPI document."""

from __future__ import annotations

from datetime import date
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from app.models import CaseChannel, Source, Status
from app.services.bureau.analytics import SORT_KEYS
from app.services.cases.operations import MAX_REFERRED_TO
from app.services.cases.submission import MAX_BODY

MAX_ID = 2**31 - 1
STATUSES = [status.value for status in Status]
CHANNELS = [channel.value for channel in CaseChannel]
SOURCES = [source.value for source in Source]
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)
CODE = validate.Regexp(r"^[a-z0-9_-]{1,32}$")


# what `printable` enforces, as the OpenAPI document says it (a JSON Schema pattern)
PRINTABLE_PATTERN = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f]*$"
PRINTABLE_NOTE = ("No control characters other than line breaks and tabs (NUL and the "
                  "like are refused with 422).")


def printable(value: str) -> None:
    """Text from people: line breaks and tabs, but no NUL or other control characters."""
    if any(ord(char) < 32 and char not in "\n\r\t" or ord(char) == 127 for char in value):
        raise ValidationError("Control characters are not allowed.")


def not_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError("Write a few words.")


class ParkRefSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True, attribute="name_zh")
    name_en = fields.String(required=True)


class SpotRefSchema(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True, attribute="name_zh")
    name_en = fields.String(required=True)


class CategoryRefSchema(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True, attribute="name_zh")
    name_en = fields.String(required=True)
    icon = fields.String(required=True)


class PersonSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)


class TransferTargetSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(["park", "unit", "office"]),
                         metadata={"description": "park: another park of the unit; unit: a "
                                   "park of another unit; office: an outside office"})
    park = fields.String(required=True, allow_none=True,
                         metadata={"description": "the receiving park's park_code"})
    office = fields.Integer(required=True, allow_none=True,
                            metadata={"description": "the outside office's id"})
    name = fields.String(required=True)


class TransferSchema(Schema):
    to = fields.Nested(TransferTargetSchema, required=True)
    at = fields.DateTime(required=True)
    note = fields.String(required=True, metadata={"description": "shown to the visitor"})


class AttachmentSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(["photo", "voice"]))
    url = fields.String(required=True, metadata={
        "description": "the file; it answers signed-in staff of the case's unit (a session)"})
    content_type = fields.String(required=True, metadata={
        "description": "image/jpeg for photos, audio/mp4 (AAC) for voice notes"})
    duration_s = fields.Float(required=True, allow_none=True, metadata={
        "description": "a voice note's length in seconds; null for a photo"})


class CaseSchema(Schema):
    """A case as staff see it; `contact` only for park staff of its unit (null otherwise)."""

    id = fields.Integer(required=True)
    reference = fields.String(required=True)
    unit_id = fields.Integer(required=True)
    park = fields.Nested(ParkRefSchema, required=True)
    spot = fields.Nested(SpotRefSchema, required=True, allow_none=True, attribute="spot")
    category = fields.Nested(CategoryRefSchema, required=True)
    category_chosen = fields.String(required=True, allow_none=True, metadata={
        "description": "the category code the visitor (or staff taking it down) picked at "
                       "intake; differs from category.code after a suggestion or a refiling"})
    zone = fields.String(required=True, allow_none=True, attribute="zone_code", metadata={
        "description": "the code of the seasonal zone (专区) whose choice on the form the case "
                       "was sent through; null otherwise"})
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    source = fields.String(required=True, metadata={
        "description": "how it came: qr (a visitor's QR form), staff (taken down by staff), "
                       "hotline (12345), api, open311"})
    channel = fields.String(required=True, allow_none=True, metadata={
        "description": "for source staff, how staff heard of it: " + ", ".join(CHANNELS)})
    body = fields.String(required=True)
    responsible_role = fields.String(required=True, allow_none=True)
    assignee = fields.Nested(PersonSchema, required=True, allow_none=True)
    urgent = fields.Boolean(required=True, metadata={
        "description": "the case's own urgency: its category's, raised by its words (a danger "
                       "named: someone in the water, a fire, a fight...), or set by staff"})
    me_too_count = fields.Integer(required=True)
    reopen_count = fields.Integer(required=True)
    rating = fields.Integer(required=True, allow_none=True)
    satisfaction = fields.Integer(required=True, allow_none=True)
    contact = fields.String(required=True, allow_none=True)
    media_url = fields.String(required=True, allow_none=True)
    latitude = fields.Float(required=True, allow_none=True)
    longitude = fields.Float(required=True, allow_none=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)
    acknowledged_at = fields.DateTime(required=True, allow_none=True)
    claimed_at = fields.DateTime(required=True, allow_none=True)
    first_response_at = fields.DateTime(required=True, allow_none=True)
    resolved_at = fields.DateTime(required=True, allow_none=True)
    closed_at = fields.DateTime(required=True, allow_none=True)
    claim_due_at = fields.DateTime(required=True, allow_none=True)
    reply_due_at = fields.DateTime(required=True, allow_none=True)
    resolve_due_at = fields.DateTime(required=True, allow_none=True)
    transfers = fields.List(fields.Nested(TransferSchema), required=True, metadata={
        "description": "where the case was moved (转办), oldest first, with the note "
                       "written for the visitor"})
    attachments = fields.List(fields.Nested(AttachmentSchema), required=True, metadata={
        "description": "the case's photos (the visitors' and the staff's) and the visitors' "
                       "voice notes (re-encoded, no metadata), oldest first by kind"})


class CasePageSchema(Schema):
    items = fields.List(fields.Nested(CaseSchema), required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True)


class CaseQuerySchema(Schema):
    """Filters of the case list; several `status` values are OR-ed."""

    status = fields.List(fields.String(validate=validate.OneOf(STATUSES)))
    park_id = fields.Integer(validate=validate.Range(min=1, max=MAX_ID))
    category = fields.String(validate=CODE)
    source = fields.String(validate=validate.OneOf(SOURCES))
    assignee = fields.String(validate=validate.OneOf(["me", "none"]),
                             metadata={"description": "me: claimed by the caller; "
                                                      "none: not claimed by anyone"})
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class MessageSchema(Schema):
    """One entry of a case's thread; internal notes only for park staff of the unit."""

    id = fields.Integer(required=True)
    kind = fields.String(required=True)
    body = fields.String(required=True)
    author = fields.Nested(PersonSchema, required=True, allow_none=True)
    status_from = fields.String(required=True, allow_none=True)
    status_to = fields.String(required=True, allow_none=True)
    created_at = fields.DateTime(required=True)


class NewCaseSchema(Schema):
    """A case staff take down (the fields of POST /staff/cases/new)."""

    spot = fields.String(required=True, validate=[validate.Length(min=1, max=16), printable],
                         metadata={"description": "the spot's code (as on its QR code)"})
    category = fields.String(required=True, validate=[validate.Length(min=1, max=32), printable],
                             metadata={"description": "a category code of the spot's unit"})
    body = fields.String(required=True,
                         validate=[validate.Length(min=1, max=MAX_BODY), printable, not_blank])
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS), metadata={
        "description": "how staff heard of it; a patrol finding needs no reply to close"})
    contact = fields.String(load_default=None, allow_none=True,
                            validate=[validate.Length(max=254), printable], metadata={
                                "description": "the visitor's phone or e-mail, if they want "
                                               "an answer (they get the tracking link)"})


class ReplySchema(Schema):
    body = fields.String(required=True,
                         validate=[validate.Length(min=1, max=MAX_BODY), printable, not_blank])
    status = fields.String(load_default=None, allow_none=True,
                           validate=validate.OneOf(STATUSES),
                           metadata={"description": "the status after the reply "
                                                    "(optional; a new case is acknowledged)"})
    referred_to = fields.String(load_default=None, allow_none=True,
                                validate=[validate.Length(max=MAX_REFERRED_TO), printable],
                                metadata={"description": "to whom (required for referred)"})


class AssignSchema(Schema):
    assignee_id = fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_ID),
                                 metadata={"description": "a colleague of the case's unit "
                                                          "(GET /api/v1/cases/{id}/colleagues)"})


class NoteSchema(Schema):
    body = fields.String(required=True,
                         validate=[validate.Length(min=1, max=MAX_BODY), printable, not_blank])


class StatusChangeSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    referred_to = fields.String(load_default=None, allow_none=True,
                                validate=[validate.Length(max=MAX_REFERRED_TO), printable],
                                metadata={"description": "to whom (required for referred)"})
    reply = fields.String(load_default=None, allow_none=True,
                          validate=[validate.Length(max=MAX_BODY), printable],
                          metadata={"description": "a public reply to the visitor, sent in the "
                                                   "same step; closing a case that has no reply "
                                                   "yet needs one (409 without), spam excepted"})


class SpotSchema(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True, attribute="name_zh")
    name_en = fields.String(required=True)
    park_id = fields.Integer(required=True)
    latitude = fields.Float(required=True, allow_none=True, metadata={
        "description": "WGS-84 latitude in decimal degrees (null: not placed yet)"})
    longitude = fields.Float(required=True, allow_none=True, metadata={
        "description": "WGS-84 longitude in decimal degrees (null: not placed yet)"})
    active = fields.Boolean(required=True)
    qr_url = fields.String(required=True)


class SuggestRequestSchema(Schema):
    text = fields.String(required=True,
                         validate=[validate.Length(min=1, max=MAX_BODY), printable, not_blank])
    park_id = fields.Integer(load_default=None, allow_none=True,
                             validate=validate.Range(min=1, max=MAX_ID), metadata={
                                 "description": "suggest this park's unit's categories "
                                                "(default: the caller's unit)"})


class SuggestionSchema(Schema):
    category = fields.String(required=True, metadata={"description": "a category code"})
    score = fields.Float(required=True, validate=validate.Range(min=0, max=1), metadata={
        "description": "how likely the category is (0..1; all categories add up to 1)"})


class SuggestionsSchema(Schema):
    suggestions = fields.List(fields.Nested(SuggestionSchema), required=True, metadata={
        "description": "best first, at most 3, only the unit's categories; empty when the "
                       "model knows none of the words"})


class SpotQuerySchema(Schema):
    park_id = fields.Integer(validate=validate.Range(min=1, max=MAX_ID))


class ParkSchema(Schema):
    id = fields.Integer(required=True)
    unit_id = fields.Integer(required=True)
    name = fields.String(required=True, attribute="name_zh")
    name_en = fields.String(required=True)


class CategorySchema(Schema):
    unit_id = fields.Integer(required=True)
    code = fields.String(required=True)
    name = fields.String(required=True, attribute="name_zh")
    name_en = fields.String(required=True)
    icon = fields.String(required=True)
    role = fields.String(required=True)
    urgent = fields.Boolean(required=True)
    active = fields.Boolean(required=True)
    claim_minutes = fields.Integer(required=True)
    first_reply_hours = fields.Integer(required=True)
    resolve_days = fields.Integer(required=True)


class SessionSchema(Schema):
    """The logged-in caller, and the CSRF token a browser sends in X-CSRFToken on writes."""

    user_id = fields.Integer(required=True, allow_none=True)
    name = fields.String(required=True, allow_none=True)
    unit_ids = fields.List(fields.Integer(), required=True, allow_none=True)
    api_key = fields.String(required=True, allow_none=True,
                            metadata={"description": "the key's visible prefix"})
    csrf_token = fields.String(required=True, allow_none=True)


def dump_page(items: list[Any], page: int, per_page: int, total: int) -> dict[str, Any]:
    return {"items": items, "page": page, "per_page": per_page, "total": total}


class ComparisonQuerySchema(Schema):
    """The period: ?month=YYYY-MM, or [from, to] (inclusive dates); by default the last
    complete month. The rank is always by `score`; `sort` only orders the list."""

    month = fields.String(metadata={
        "description": "YYYY-MM; a month that does not parse is a 400 with a message"})
    from_ = fields.Date(data_key="from", validate=validate.Range(min=EARLIEST, max=LATEST),
                        metadata={"description": "first day (inclusive); with or without `to`, "
                                  "the period must end after it and span at most 366 days, "
                                  "else 422"})
    to = fields.Date(validate=validate.Range(min=EARLIEST, max=LATEST), metadata={
        "description": "last day (inclusive); alone, the period starts on the first of the "
                       "current month; at most 366 days after `from`, not before it (422)"})
    min_cases = fields.Integer(validate=validate.Range(min=0, max=1_000_000), metadata={
        "description": "fewest cases to be ranked; default: the setting BUREAU_MIN_CASES"})
    sort = fields.String(load_default="score", validate=validate.OneOf(SORT_KEYS), metadata={
        "description": "the order of `parks` (ranked parks first); the rank stays by score"})


class FiguresSchema(Schema):
    cases = fields.Integer(required=True)
    median_response_minutes = fields.Float(required=True, allow_none=True)
    p90_response_minutes = fields.Float(required=True, allow_none=True)
    median_resolution_minutes = fields.Float(required=True, allow_none=True)
    within_limit_share = fields.Float(required=True, allow_none=True, metadata={
        "description": "share (0..1) of `within_limit_counted` whose first response came at "
                       "or before the reply deadline; null when no case counts yet"})
    within_limit_counted = fields.Integer(required=True, metadata={
        "description": "cases that count for `within_limit_share`: they have a reply "
                       "deadline, and they were answered or the deadline has passed. A case "
                       "not answered yet whose deadline is still ahead is neither late nor on "
                       "time: it is left out"})
    unanswered = fields.Integer(required=True, metadata={
        "description": "cases with no public reply to the visitor yet, open or closed "
                       "(spam aside)"})
    satisfaction = fields.Float(required=True, allow_none=True, metadata={
        "description": "mean rating (1..5) of the rated cases"})
    reopen_rate = fields.Float(required=True, allow_none=True)
    reports = fields.Integer(required=True, metadata={
        "description": "every report: the cases, each \"me too\" joined to one, each \"not "
                       "fixed\""})
    response_counted = fields.Integer(required=True, metadata={
        "description": "cases that count for `response_rate` (the same as "
                       "`within_limit_counted`): they have a reply deadline and were answered, "
                       "or their deadline has passed; spam needs no reply"})
    response_rate = fields.Float(required=True, allow_none=True, metadata={
        "description": "响应率 (0..1): answered at or before the reply deadline, among "
                       "`response_counted` (the same as `within_limit_share`); null when none "
                       "counts yet"})
    resolution_rate = fields.Float(required=True, allow_none=True, metadata={
        "description": "解决率 (0..1): resolved (then confirmed by the visitor or closed "
                       "automatically), among all cases but spam and duplicates; null when "
                       "there are none"})
    satisfaction_rate = fields.Float(required=True, allow_none=True, metadata={
        "description": "满意率 (0..1): rated 4 or 5 of 5, among the rated cases; null when "
                       "none is rated"})
    score = fields.Float(required=True, allow_none=True, metadata={
        "description": "0..100: the three rates weighted by `weights` (the setting "
                       "BUREAU_SCORE_WEIGHTS), over the rates that are not null; null when "
                       "all are"})


class ParkFiguresSchema(FiguresSchema):
    park_id = fields.Integer(required=True)
    park = fields.Nested(ParkSchema, required=True)
    rank = fields.Integer(required=True, allow_none=True, metadata={
        "description": "by `score`, highest first (ties: more cases, then the lower park "
                       "id); null: fewer cases than min_cases, or no score"})
    visits = fields.Integer(required=True, allow_none=True)
    per_10k_visits = fields.Float(required=True, allow_none=True)
    by_category = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    by_channel = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True,
                             metadata={"description": "the cases by where they came in: qr, "
                                       "hotline (12345), phone, counter, patrol, other (taken "
                                       "down by staff), api (the JSON API and Open311); they "
                                       "add up to cases"})
    by_zone = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True,
                          metadata={"description": "the cases sent through a seasonal zone's "
                                    "choice on the form (专区), by zone code; a zone without "
                                    "cases in the period is left out"})
    transferred = fields.Integer(required=True, metadata={
        "description": "cases the park sent out of its unit in the period (转办: to an outside "
                       "office or another unit's park), counted apart from resolved ones"})
    sent_to = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True,
                          metadata={"description": "those cases by where they went: the "
                                    "office's or the receiving park's name"})


class WeightsSchema(Schema):
    response = fields.Float(required=True)
    resolution = fields.Float(required=True)
    satisfaction = fields.Float(required=True)


class ComparisonSchema(Schema):
    """The bureau's league table of parks, from the analytics rollups."""

    month = fields.String(required=True, allow_none=True, metadata={
        "description": "YYYY-MM when the period is one calendar month, else null"})
    is_partial = fields.Boolean(required=True, data_key="partial", metadata={
        "description": "the period has not ended: its figures will still change"})
    weights = fields.Nested(WeightsSchema, required=True)
    start = fields.Date(required=True)
    end = fields.Date(required=True, metadata={"description": "the last day, inclusive"})
    min_cases = fields.Integer(required=True)
    sort = fields.String(required=True)
    parks = fields.List(fields.Nested(ParkFiguresSchema), required=True)
    city = fields.Nested(FiguresSchema, required=True)


def _document_printable() -> None:
    """Every text field checked by `printable` says so in the OpenAPI document: a pattern
    (what clients and fuzzers can check) and a sentence."""
    pending: list[type[Schema]] = [Schema]
    while pending:
        for schema in pending.pop().__subclasses__():
            pending.append(schema)
            for field in schema._declared_fields.values():  # noqa: SLF001 - marshmallow's own
                if printable in field.validators:
                    note = " ".join(filter(None, (field.metadata.get("description"),
                                                  PRINTABLE_NOTE)))
                    field.metadata = {**field.metadata, "pattern": PRINTABLE_PATTERN,
                                      "description": note}


_document_printable()


class HotlineTicketSchema(Schema):
    """A 12345 ticket the hotline platform (or a person) sends into a unit's inbox."""

    ticket_id = fields.String(required=True, validate=[validate.Length(min=1, max=64), printable],
                              metadata={"description": "the hotline's ticket number (工单编号); "
                                                       "unique per unit"})
    received_at = fields.DateTime(required=True, metadata={
        "description": "when the hotline received it (受理时间), ISO 8601; without an offset, "
                       "the unit's local time"})
    text = fields.String(required=True,
                         validate=[validate.Length(min=1, max=MAX_BODY), printable, not_blank],
                         metadata={"description": "the citizen's words (诉求内容)"})
    address = fields.String(load_default="", validate=[validate.Length(max=200), printable],
                            metadata={"description": "the address text (地址); matched to a "
                                                     "park and spot, else the ticket waits for "
                                                     "a person to place it"})
    category = fields.String(load_default="", validate=[validate.Length(max=60), printable],
                             metadata={"description": "the hotline's category (诉求类别), "
                                                      "matched to the unit's by name"})
    contact = fields.String(load_default="", validate=[validate.Length(max=120), printable],
                            metadata={"description": "the citizen's contact (联系电话): unit "
                                                     "staff only"})
    respond_by = fields.DateTime(load_default=None, allow_none=True, metadata={
        "description": "the ticket's own contact limit (联系时限); else the unit's"})
    resolve_by = fields.DateTime(load_default=None, allow_none=True, metadata={
        "description": "the ticket's own finishing limit (办结时限); else the unit's"})
    unit_id = fields.Integer(load_default=None, allow_none=True,
                             validate=validate.Range(min=1, max=MAX_ID), metadata={
                                 "description": "the unit (needed only for a bureau-wide key "
                                                "or a person in several units)"})


class HotlineIntakeSchema(Schema):
    ticket_id = fields.String(required=True)
    unit_id = fields.Integer(required=True)
    taken_in = fields.Boolean(required=True, metadata={
        "description": "false when the unit had this ticket already (nothing added)"})
    needs_place = fields.Boolean(required=True, metadata={
        "description": "the address names no spot: the ticket waits for a person"})
    case_id = fields.Integer(required=True, allow_none=True)
    reference = fields.String(required=True, allow_none=True)
