"""What visitors and staff attach to a case: photos and voice notes, stored re-encoded
without metadata."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model
from app.models.types import BigId, StoredFile


class Photo(StoredFile, Model):
    """A photo of a case, stored re-encoded (no metadata) under a random name."""

    __tablename__ = "photos"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column("feedback_id", ForeignKey("feedback.id"), index=True)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    # None: the visitor sent it; otherwise the staff member who added it
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    # sent with a "me too" report (None: the first visitor's, or staff's): only that
    # visitor's tracking page shows it
    case_token_id: Mapped[int | None] = mapped_column(ForeignKey("case_tokens.id"), index=True)
    # a staff member made it public (Open311 media_url, /photos/<id>); never by default
    public: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())

    def __repr__(self) -> str:
        return f"<Photo {self.id} case={self.case_id} {self.width}x{self.height}>"


class VoiceNote(StoredFile, Model):
    """A visitor's voice note, stored re-encoded as AAC in MP4 (no metadata) under a random
    name; its transcript when an offline speech model is configured (SPEECH_MODEL_PATH)."""

    __tablename__ = "voice_notes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column("feedback_id", ForeignKey("feedback.id"), index=True)
    duration_ms: Mapped[int] = mapped_column(Integer)
    # sent with a "me too" report (None: the case's first report)
    case_token_id: Mapped[int | None] = mapped_column(ForeignKey("case_tokens.id"), index=True)
    # None: no speech model configured; "pending", "done" (transcript set) or "failed"
    transcript_state: Mapped[str | None] = mapped_column(String(8), index=True)
    transcript: Mapped[str | None] = mapped_column(Text)

    @property
    def duration_s(self) -> float:
        return round(self.duration_ms / 1000, 1)

    def __repr__(self) -> str:
        return f"<VoiceNote {self.id} case={self.case_id} {self.duration_ms} ms>"
