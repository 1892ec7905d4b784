"""The domain models, one module per group of nouns."""

from app.models.abuse import ClientBlock
from app.models.alerts import (
    AlertChannel,
    AlertDelivery,
    ChannelKind,
    LadderStep,
    PushDelivery,
    PushSubscription,
    StaffSms,
)
from app.models.api import ApiKey
from app.models.bureau import (
    EarlyWarning,
    HotlineTicket,
    ParkVisits,
    ReplyContact,
    ReplyResult,
    rollup_daily,
    rollup_monthly,
    rollup_zone_daily,
)
from app.models.cases import (
    OPEN_STATUSES,
    Case,
    CaseChannel,
    CaseToken,
    Message,
    MessageKind,
    ReferenceCounter,
    Source,
    Status,
)
from app.models.codes import RetiredCode, ScanCount
from app.models.events import Event
from app.models.media import Photo, VoiceNote
from app.models.notifications import Channel, DeliveryState, Notification, SmsMessage
from app.models.ops import AuditLog, JobLease
from app.models.org import Category, CategoryTraining, Park, Spot, Unit
from app.models.people import BUREAU_ROLES, ROLES, Membership, StaffUser
from app.models.settings import ReplyTemplate, RoutingRule
from app.models.topics import AdoptedTopic, MeasurePhoto, TopicMeasure, topic_units
from app.models.transfers import CaseTransfer, OfficeDelivery, OutsideOffice, TransferKind
from app.models.zones import Zone, ZoneRole, zone_parks

__all__ = [
    "AdoptedTopic",
    "MeasurePhoto",
    "TopicMeasure",
    "topic_units",
    "CaseTransfer",
    "OfficeDelivery",
    "OutsideOffice",
    "TransferKind",
    "Zone",
    "ZoneRole",
    "zone_parks",
    "AlertChannel",
    "AlertDelivery",
    "ChannelKind",
    "LadderStep",
    "PushDelivery",
    "PushSubscription",
    "ApiKey",
    "BUREAU_ROLES",
    "OPEN_STATUSES",
    "AuditLog",
    "Case",
    "CaseChannel",
    "CaseToken",
    "ROLES",
    "Category",
    "CategoryTraining",
    "Channel",
    "DeliveryState",
    "ClientBlock",
    "EarlyWarning",
    "Event",
        "HotlineTicket",
        "ReplyContact",
        "ReplyResult",
    "JobLease",
    "Membership",
    "Message",
    "MessageKind",
    "Notification",
    "Park",
    "Photo",
    "ParkVisits",
        "ReferenceCounter",
    "ReplyTemplate",
    "RetiredCode",
    "RoutingRule",
    "ScanCount",
    "SmsMessage",
    "StaffSms",
    "Source",
    "Spot",
    "StaffUser",
    "Status",
    "Unit",
    "VoiceNote",
    "rollup_daily",
    "rollup_monthly",
    "rollup_zone_daily",
]
