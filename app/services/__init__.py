"""Business rules. Views call these; they take explicit arguments and raise domain errors."""


class DomainError(Exception):
    """A rule was broken; the message is safe to show to the user (already translated)."""


class NotFound(DomainError):
    """The thing does not exist, or the caller may not know that it does."""
