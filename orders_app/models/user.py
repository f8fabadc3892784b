import uuid

from sqlalchemy import String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from ..domain.enums import Role
from ..extensions import db
from .types import UTCDateTime, enum_column, utcnow


class User(db.Model):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    username: Mapped[str] = mapped_column(String(32), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_column(Role), default=Role.USER, server_default=Role.USER.value)
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    @property
    def is_operator(self):
        return self.role is Role.OPERATOR
