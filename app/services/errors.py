"""The errors business rules raise. Their messages are translated and safe to show.

A view catches `DomainError` where it can say what went wrong (a form again with the
message, a 409 in the API). `NotFoundError` and `ForbiddenError` are not caught in views:
one handler of the app (`app.errors`) answers them with 404 and 403 in the format of the
audience (page, JSON API, Open311).
"""


class DomainError(Exception):
    """A rule was broken; the message says which."""


class NotFoundError(Exception):
    """The thing does not exist, or the caller may not know that it does (404)."""


class ForbiddenError(Exception):
    """The caller may see the thing but not do this to it (403)."""


class ConflictError(Exception):
    """The thing is already there, held by something else; nothing changed (409)."""
