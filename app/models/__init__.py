"""The domain models, one module per group of nouns."""

from app.models.cases import (
    OPEN_STATUSES,
    Feedback,
    Message,
    MessageKind,
    ReferenceCounter,
    Source,
    Status,
)
from app.models.events import Event
from app.models.org import Category, Park, Point, Unit
from app.models.people import BUREAU_ROLES, ROLES, Membership, StaffUser

__all__ = [
    "BUREAU_ROLES",
    "OPEN_STATUSES",
    "ROLES",
    "Category",
    "Event",
    "Feedback",
    "Membership",
    "Message",
    "MessageKind",
    "Park",
    "Point",
    "ReferenceCounter",
    "Source",
    "StaffUser",
    "Status",
    "Unit",
]
