"""What visitors and staff attach to a case: photos, stored re-encoded without metadata."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model
from app.models.types import BigId, UTCDateTime, utcnow


class Photo(Model):
    """A photo of a case, stored re-encoded (no metadata) under a random name."""

    __tablename__ = "photos"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column("feedback_id", ForeignKey("feedback.id"), index=True)
    # random file name under PHOTO_DIR; never derived from what the uploader sent
    storage_name: Mapped[str] = mapped_column(String(64), unique=True)
    checksum: Mapped[str] = mapped_column(String(64))  # sha256 of the stored bytes
    content_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    # None: the visitor sent it; otherwise the staff member who added it
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    # sent with a "me too" report (None: the first visitor's, or staff's): only that
    # visitor's tracking page shows it
    case_token_id: Mapped[int | None] = mapped_column(ForeignKey("case_tokens.id"), index=True)
    # a staff member made it public (Open311 media_url, /photos/<id>); never by default
    public: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:
        return f"<Photo {self.id} case={self.case_id} {self.width}x{self.height}>"
