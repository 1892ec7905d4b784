"""Every periodic job of the service, in one list: its name, how often, and what it runs.

Each runs once per round across all server processes (`app.services.platform.jobs`);
the CLI runs one now by name (`flask sla tick`, `flask cases autoclose`, `flask notify
send`).
"""

from __future__ import annotations

from datetime import timedelta

from app.services.bureau.bursts import detect_bursts
from app.services.bureau.warnings import detect_spikes
from app.services.cases.hotline_mail import read_hotline_mail
from app.services.cases.operations import close_resolved_cases
from app.services.cases.sla import escalate_overdue_cases
from app.services.cases.suggest import train_category_models
from app.services.cases.voice import transcribe_pending_notes
from app.services.notify.channels import send_due_alerts
from app.services.notify.ladder import run_ladder
from app.services.notify.offices import send_due_office_deliveries
from app.services.notify.privacy import erase_expired_contacts
from app.services.notify.push import send_due_pushes
from app.services.notify.visitors import send_due_notifications
from app.services.platform.jobs import Job

SCHEDULE: tuple[Job, ...] = (
    # visitors' e-mails and SMS, retried with backoff
    Job("notify.send", timedelta(seconds=30), send_due_notifications),
    # staff alerts to group robots and webhooks (/admin/channels), retried with backoff
    Job("alerts.send", timedelta(seconds=10), send_due_alerts),
    # cases transferred to outside offices (转办): e-mail and webhook, retried with backoff
    Job("offices.send", timedelta(seconds=30), send_due_office_deliveries),
    # Web Push to staff phones (/staff/alerts), retried with backoff
    Job("push.send", timedelta(seconds=5), send_due_pushes),
    # the escalation ladder: SMS to on call for an urgent case nobody claimed in the unit's
    # minutes, SMS to the directors at the claim deadline; then the ladder's due SMS
    Job("ladder.tick", timedelta(seconds=30), run_ladder),
    # cases past their claim or reply limit go to the directors
    Job("sla.tick", timedelta(minutes=1), escalate_overdue_cases),
    # spikes of a spot x category against its own baseline
    Job("warnings.detect", timedelta(minutes=5), detect_spikes),
    # bursts of reports at one spot (WARNING_BURST_REPORTS in WARNING_BURST_MINUTES)
    Job("warnings.bursts", timedelta(minutes=1), detect_bursts),
    # resolved cases close after the unit's auto-close delay
    Job("cases.autoclose", timedelta(minutes=10), close_resolved_cases),
    # 12345 tickets forwarded by e-mail (HOTLINE_IMAP_*; nothing without HOTLINE_IMAP_HOST)
    Job("hotline.mail", timedelta(minutes=1), read_hotline_mail),
    # each unit's category model, at start and after new cases or a refiling
    Job("categories.train", timedelta(minutes=2), train_category_models),
    # transcripts of voice notes (only with SPEECH_MODEL_PATH, an offline Vosk model)
    Job("voice.transcribe", timedelta(seconds=30), transcribe_pending_notes),
    # contacts erased CONTACT_RETENTION_DAYS after their case closed
    Job("privacy.erase_contacts", timedelta(hours=1), erase_expired_contacts),
)
