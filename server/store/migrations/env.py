"""Alembic's environment: run on the connection the caller hands over (see ``__init__``)."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

from server.campaign import models as campaign_models  # noqa: F401  (the campaign's tables)
from server.store import components, models  # noqa: F401  (the tables, for autogenerate)

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - the kiosk always passes its own connection
    raise RuntimeError("run migrations through server.store.migrations, which passes a connection")

context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    # SQLite alters most things only by copying the table; Alembic's batch mode does that.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
