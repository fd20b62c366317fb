"""Initial schema: structures, PISTE applications, markets, invoices and their history, batches, the
deposit journal, sync cursors, received invoices, the notification outbox, users and API keys.

Revision ID: 0001
Revises:
Create Date: 2026-11-23 18:04:57.128881
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "piste_applications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("environment", sa.String(length=20), nullable=False),
        sa.Column("client_id", sa.String(length=200), nullable=False),
        sa.Column("client_secret_encrypted", sa.Text(), nullable=False),
        sa.Column("token_url", sa.String(length=500), nullable=True),
        sa.Column("api_url", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_piste_applications")),
        sa.UniqueConstraint(
            "environment", "client_id", name=op.f("uq_piste_applications_environment_client_id")
        ),
        sa.UniqueConstraint("name", name=op.f("uq_piste_applications_name")),
    )
    op.create_table(
        "store_meta",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_store_meta")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=True),
        sa.Column("password_hash", sa.String(length=300), nullable=True),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_keys_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("prefix", name=op.f("uq_api_keys_prefix")),
    )
    op.create_table(
        "structures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("environment", sa.String(length=20), nullable=False),
        sa.Column("siret", sa.String(length=14), nullable=False),
        sa.Column("piste_application_id", sa.Integer(), nullable=False),
        sa.Column("technical_login", sa.String(length=200), nullable=False),
        sa.Column("technical_password_encrypted", sa.Text(), nullable=False),
        sa.Column("technical_password_set_on", sa.Date(), nullable=False),
        sa.Column("technical_password_expires_on", sa.Date(), nullable=False),
        sa.Column("technical_password_expiry_source", sa.String(length=20), nullable=False),
        sa.Column("chorus_structure_id", sa.BigInteger(), nullable=True),
        sa.Column("default_service_code", sa.String(length=100), nullable=True),
        sa.Column("engagement_management", sa.Boolean(), nullable=False),
        sa.Column("default_payment_mode", sa.String(length=20), nullable=True),
        sa.Column("bank_account_id", sa.BigInteger(), nullable=True),
        sa.Column("bank_account_label", sa.String(length=200), nullable=True),
        sa.Column("referent_email", sa.String(length=320), nullable=True),
        sa.Column("webhook_url", sa.String(length=1000), nullable=True),
        sa.Column("webhook_secret_encrypted", sa.Text(), nullable=True),
        sa.Column(
            "notification_emails", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("moved_to_production_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sandbox_siret", sa.String(length=14), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["piste_application_id"],
            ["piste_applications.id"],
            name=op.f("fk_structures_piste_application_id_piste_applications"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_structures")),
        sa.UniqueConstraint("name", name=op.f("uq_structures_name")),
    )
    with op.batch_alter_table("structures", schema=None) as batch_op:
        batch_op.create_index(
            "uq_structures_production_siret_role",
            ["siret", "role"],
            unique=True,
            sqlite_where=sa.text("environment = 'production'"),
            postgresql_where=sa.text("environment = 'production'"),
        )

    op.create_table(
        "api_key_structures",
        sa.Column("api_key_id", sa.Integer(), nullable=False),
        sa.Column("structure_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["api_key_id"],
            ["api_keys.id"],
            name=op.f("fk_api_key_structures_api_key_id_api_keys"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["structure_id"],
            ["structures.id"],
            name=op.f("fk_api_key_structures_structure_id_structures"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("api_key_id", "structure_id", name=op.f("pk_api_key_structures")),
    )
    op.create_table(
        "files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("structure_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["structure_id"],
            ["structures.id"],
            name=op.f("fk_files_structure_id_structures"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_files")),
    )
    with op.batch_alter_table("files", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_files_sha256"), ["sha256"], unique=False)
        batch_op.create_index(batch_op.f("ix_files_structure_id"), ["structure_id"], unique=False)

    op.create_table(
        "markets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("structure_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=50), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=True),
        sa.Column("recipient_siret", sa.String(length=14), nullable=False),
        sa.Column("service_code", sa.String(length=100), nullable=True),
        sa.Column("engagement_number", sa.String(length=50), nullable=True),
        sa.Column("billing_frame", sa.String(length=3), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["structure_id"],
            ["structures.id"],
            name=op.f("fk_markets_structure_id_structures"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_markets")),
        sa.UniqueConstraint("structure_id", "number", name=op.f("uq_markets_structure_id_number")),
    )
    with op.batch_alter_table("markets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_markets_structure_id"), ["structure_id"], unique=False)

    op.create_table(
        "sync_cursors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("structure_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=50), nullable=False),
        sa.Column("last_change_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_synced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("state", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(length=200), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_token", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["structure_id"],
            ["structures.id"],
            name=op.f("fk_sync_cursors_structure_id_structures"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_cursors")),
        sa.UniqueConstraint("structure_id", "kind", name=op.f("uq_sync_cursors_structure_id_kind")),
    )
    op.create_table(
        "user_structures",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("structure_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["structure_id"],
            ["structures.id"],
            name=op.f("fk_user_structures_structure_id_structures"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_structures_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "structure_id", name=op.f("pk_user_structures")),
    )
    op.create_table(
        "batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("structure_id", sa.Integer(), nullable=False),
        sa.Column("environment", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("syntax", sa.String(length=60), nullable=True),
        sa.Column("file_name", sa.String(length=255), nullable=True),
        sa.Column("file_id", sa.Integer(), nullable=True),
        sa.Column("invoice_count", sa.Integer(), nullable=False),
        sa.Column("flux_number", sa.String(length=60), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(length=200), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_token", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["file_id"], ["files.id"], name=op.f("fk_batches_file_id_files"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["structure_id"],
            ["structures.id"],
            name=op.f("fk_batches_structure_id_structures"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batches")),
    )
    with op.batch_alter_table("batches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_batches_flux_number"), ["flux_number"], unique=False)
        batch_op.create_index(batch_op.f("ix_batches_structure_id"), ["structure_id"], unique=False)

    op.create_table(
        "received_invoices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("structure_id", sa.Integer(), nullable=False),
        sa.Column("environment", sa.String(length=20), nullable=False),
        sa.Column("chorus_invoice_id", sa.BigInteger(), nullable=False),
        sa.Column("number", sa.String(length=100), nullable=False),
        sa.Column("issue_date", sa.Date(), nullable=True),
        sa.Column("type_code", sa.String(length=20), nullable=True),
        sa.Column("supplier_name", sa.String(length=200), nullable=True),
        sa.Column("supplier_identifier", sa.String(length=50), nullable=True),
        sa.Column("supplier_identifier_type", sa.String(length=20), nullable=True),
        sa.Column("service_code", sa.String(length=100), nullable=True),
        sa.Column("engagement_number", sa.String(length=50), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column(
            "amount_tax_exclusive", sa.Numeric(19, 6).with_variant(sa.BigInteger(), "sqlite"), nullable=True
        ),
        sa.Column(
            "amount_tax_inclusive", sa.Numeric(19, 6).with_variant(sa.BigInteger(), "sqlite"), nullable=True
        ),
        sa.Column("chorus_status", sa.String(length=60), nullable=True),
        sa.Column("chorus_status_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("file_id", sa.Integer(), nullable=True),
        sa.Column("downloaded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("summary", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["file_id"], ["files.id"], name=op.f("fk_received_invoices_file_id_files"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["structure_id"],
            ["structures.id"],
            name=op.f("fk_received_invoices_structure_id_structures"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_received_invoices")),
        sa.UniqueConstraint(
            "structure_id",
            "environment",
            "chorus_invoice_id",
            name=op.f("uq_received_invoices_structure_id_environment_chorus_invoice_id"),
        ),
    )
    with op.batch_alter_table("received_invoices", schema=None) as batch_op:
        batch_op.create_index(
            "ix_received_invoices_structure_status", ["structure_id", "chorus_status"], unique=False
        )

    op.create_table(
        "invoices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("structure_id", sa.Integer(), nullable=False),
        sa.Column("environment", sa.String(length=20), nullable=False),
        sa.Column("number", sa.String(length=100), nullable=False),
        sa.Column("issue_date", sa.Date(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("type_code", sa.String(length=3), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("recipient_siret", sa.String(length=14), nullable=True),
        sa.Column("recipient_name", sa.String(length=200), nullable=True),
        sa.Column("service_code", sa.String(length=100), nullable=True),
        sa.Column("engagement_number", sa.String(length=50), nullable=True),
        sa.Column("market_number", sa.String(length=50), nullable=True),
        sa.Column("market_id", sa.Integer(), nullable=True),
        sa.Column("billing_frame", sa.String(length=3), nullable=True),
        sa.Column(
            "amount_tax_exclusive", sa.Numeric(19, 6).with_variant(sa.BigInteger(), "sqlite"), nullable=True
        ),
        sa.Column("amount_tax", sa.Numeric(19, 6).with_variant(sa.BigInteger(), "sqlite"), nullable=True),
        sa.Column(
            "amount_tax_inclusive", sa.Numeric(19, 6).with_variant(sa.BigInteger(), "sqlite"), nullable=True
        ),
        sa.Column("amount_payable", sa.Numeric(19, 6).with_variant(sa.BigInteger(), "sqlite"), nullable=True),
        sa.Column("document", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("source_file_id", sa.Integer(), nullable=True),
        sa.Column("deposit_file_id", sa.Integer(), nullable=True),
        sa.Column("syntax", sa.String(length=60), nullable=True),
        sa.Column("findings", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("is_terminal", sa.Boolean(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("flux_number", sa.String(length=60), nullable=True),
        sa.Column("deposited_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("chorus_invoice_id", sa.BigInteger(), nullable=True),
        sa.Column("chorus_status", sa.String(length=60), nullable=True),
        sa.Column("chorus_status_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("replaces_invoice_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(length=200), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_token", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batches.id"], name=op.f("fk_invoices_batch_id_batches"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["deposit_file_id"],
            ["files.id"],
            name=op.f("fk_invoices_deposit_file_id_files"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["market_id"], ["markets.id"], name=op.f("fk_invoices_market_id_markets"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["replaces_invoice_id"],
            ["invoices.id"],
            name=op.f("fk_invoices_replaces_invoice_id_invoices"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["source_file_id"],
            ["files.id"],
            name=op.f("fk_invoices_source_file_id_files"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["structure_id"],
            ["structures.id"],
            name=op.f("fk_invoices_structure_id_structures"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoices")),
        sa.UniqueConstraint(
            "structure_id",
            "environment",
            "number",
            "year",
            name=op.f("uq_invoices_structure_id_environment_number_year"),
        ),
    )
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invoices_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_invoices_chorus_invoice_id"), ["chorus_invoice_id"], unique=False
        )
        batch_op.create_index("ix_invoices_claims", ["status", "lease_until"], unique=False)
        batch_op.create_index(batch_op.f("ix_invoices_flux_number"), ["flux_number"], unique=False)
        batch_op.create_index(batch_op.f("ix_invoices_market_id"), ["market_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_invoices_recipient_siret"), ["recipient_siret"], unique=False)
        batch_op.create_index(
            "ix_invoices_structure_chorus_status", ["structure_id", "chorus_status"], unique=False
        )
        batch_op.create_index("ix_invoices_structure_status", ["structure_id", "status"], unique=False)
        batch_op.create_index("ix_invoices_tracking", ["structure_id", "is_terminal", "status"], unique=False)

    op.create_table(
        "received_invoice_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("received_invoice_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("chorus_status", sa.String(length=60), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=True),
        sa.Column("external_key", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["received_invoice_id"],
            ["received_invoices.id"],
            name=op.f("fk_received_invoice_events_received_invoice_id_received_invoices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_received_invoice_events")),
        sa.UniqueConstraint(
            "received_invoice_id",
            "external_key",
            name=op.f("uq_received_invoice_events_received_invoice_id_external_key"),
        ),
    )
    with op.batch_alter_table("received_invoice_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_received_invoice_events_received_invoice_id"),
            ["received_invoice_id"],
            unique=False,
        )

    op.create_table(
        "deposit_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("structure_id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=True),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("attempt_number", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("worker", sa.String(length=200), nullable=True),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=True),
        sa.Column("syntax", sa.String(length=60), nullable=True),
        sa.Column("flux_number", sa.String(length=60), nullable=True),
        sa.Column("deposited_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(invoice_id IS NULL) <> (batch_id IS NULL)", name=op.f("ck_deposit_attempts_one_target")
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["batches.id"],
            name=op.f("fk_deposit_attempts_batch_id_batches"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoices.id"],
            name=op.f("fk_deposit_attempts_invoice_id_invoices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["structure_id"],
            ["structures.id"],
            name=op.f("fk_deposit_attempts_structure_id_structures"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deposit_attempts")),
        sa.UniqueConstraint(
            "batch_id", "attempt_number", name=op.f("uq_deposit_attempts_batch_id_attempt_number")
        ),
        sa.UniqueConstraint(
            "invoice_id", "attempt_number", name=op.f("uq_deposit_attempts_invoice_id_attempt_number")
        ),
    )
    with op.batch_alter_table("deposit_attempts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deposit_attempts_flux_number"), ["flux_number"], unique=False)
        batch_op.create_index("ix_deposit_attempts_state", ["structure_id", "state"], unique=False)
        batch_op.create_index(
            "uq_deposit_attempts_open_batch",
            ["batch_id"],
            unique=True,
            sqlite_where=sa.text("state IN ('pending', 'sent', 'unknown')"),
            postgresql_where=sa.text("state IN ('pending', 'sent', 'unknown')"),
        )
        batch_op.create_index(
            "uq_deposit_attempts_open_invoice",
            ["invoice_id"],
            unique=True,
            sqlite_where=sa.text("state IN ('pending', 'sent', 'unknown')"),
            postgresql_where=sa.text("state IN ('pending', 'sent', 'unknown')"),
        )

    op.create_table(
        "invoice_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("chorus_status", sa.String(length=60), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=True),
        sa.Column("details", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True),
        sa.Column("external_key", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoices.id"],
            name=op.f("fk_invoice_events_invoice_id_invoices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_events")),
        sa.UniqueConstraint(
            "invoice_id", "external_key", name=op.f("uq_invoice_events_invoice_id_external_key")
        ),
    )
    with op.batch_alter_table("invoice_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invoice_events_invoice_id"), ["invoice_id"], unique=False)

    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("structure_id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("payload", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(length=200), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_token", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoices.id"],
            name=op.f("fk_notifications_invoice_id_invoices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["structure_id"],
            ["structures.id"],
            name=op.f("fk_notifications_structure_id_structures"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint(
            "structure_id",
            "channel",
            "dedupe_key",
            name=op.f("uq_notifications_structure_id_channel_dedupe_key"),
        ),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notifications_invoice_id"), ["invoice_id"], unique=False)
        batch_op.create_index("ix_notifications_pending", ["sent_at", "next_attempt_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_pending")
        batch_op.drop_index(batch_op.f("ix_notifications_invoice_id"))

    op.drop_table("notifications")
    with op.batch_alter_table("invoice_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoice_events_invoice_id"))

    op.drop_table("invoice_events")
    with op.batch_alter_table("deposit_attempts", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_deposit_attempts_open_invoice",
            sqlite_where=sa.text("state IN ('pending', 'sent', 'unknown')"),
            postgresql_where=sa.text("state IN ('pending', 'sent', 'unknown')"),
        )
        batch_op.drop_index(
            "uq_deposit_attempts_open_batch",
            sqlite_where=sa.text("state IN ('pending', 'sent', 'unknown')"),
            postgresql_where=sa.text("state IN ('pending', 'sent', 'unknown')"),
        )
        batch_op.drop_index("ix_deposit_attempts_state")
        batch_op.drop_index(batch_op.f("ix_deposit_attempts_flux_number"))

    op.drop_table("deposit_attempts")
    with op.batch_alter_table("received_invoice_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_received_invoice_events_received_invoice_id"))

    op.drop_table("received_invoice_events")
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_index("ix_invoices_tracking")
        batch_op.drop_index("ix_invoices_structure_status")
        batch_op.drop_index("ix_invoices_structure_chorus_status")
        batch_op.drop_index(batch_op.f("ix_invoices_recipient_siret"))
        batch_op.drop_index(batch_op.f("ix_invoices_market_id"))
        batch_op.drop_index(batch_op.f("ix_invoices_flux_number"))
        batch_op.drop_index("ix_invoices_claims")
        batch_op.drop_index(batch_op.f("ix_invoices_chorus_invoice_id"))
        batch_op.drop_index(batch_op.f("ix_invoices_batch_id"))

    op.drop_table("invoices")
    with op.batch_alter_table("received_invoices", schema=None) as batch_op:
        batch_op.drop_index("ix_received_invoices_structure_status")

    op.drop_table("received_invoices")
    with op.batch_alter_table("batches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_batches_structure_id"))
        batch_op.drop_index(batch_op.f("ix_batches_flux_number"))

    op.drop_table("batches")
    op.drop_table("user_structures")
    op.drop_table("sync_cursors")
    with op.batch_alter_table("markets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_markets_structure_id"))

    op.drop_table("markets")
    with op.batch_alter_table("files", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_files_structure_id"))
        batch_op.drop_index(batch_op.f("ix_files_sha256"))

    op.drop_table("files")
    op.drop_table("api_key_structures")
    with op.batch_alter_table("structures", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_structures_production_siret_role",
            sqlite_where=sa.text("environment = 'production'"),
            postgresql_where=sa.text("environment = 'production'"),
        )

    op.drop_table("structures")
    op.drop_table("api_keys")
    op.drop_table("users")
    op.drop_table("store_meta")
    op.drop_table("piste_applications")
