"""Registry tables: tenant-scoped names, their numbered versions and moving aliases."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from service.db.models import Base, utcnow


class RegistryName(Base):
    """A registered name of one tenant, e.g. "wine"; `last_version` numbers its versions."""

    __tablename__ = "registry_names"
    __table_args__ = (UniqueConstraint("tenant_id", "name", name="uq_registry_names_tenant_name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))
    last_version: Mapped[int] = mapped_column(Integer, default=0)
    """The highest version number ever given (deleted numbers are never reused)."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class RegistryVersion(Base):
    """Version N of a name: which model it is. A model in a version cannot be deleted."""

    __tablename__ = "registry_versions"
    __table_args__ = (
        UniqueConstraint("name_id", "version", name="uq_registry_versions_name_version"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name_id: Mapped[int] = mapped_column(ForeignKey("registry_names.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    model_id: Mapped[str] = mapped_column(ForeignKey("models.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class RegistryAlias(Base):
    """An alias of a name (e.g. "production") pointing at one of its versions."""

    __tablename__ = "registry_aliases"
    __table_args__ = (
        ForeignKeyConstraint(
            ["name_id", "version"],
            ["registry_versions.name_id", "registry_versions.version"],
            name="fk_registry_aliases_version",
        ),
    )
    name_id: Mapped[int] = mapped_column(
        ForeignKey("registry_names.id", ondelete="CASCADE"), primary_key=True
    )
    alias: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
