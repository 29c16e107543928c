"""Countries: is_sovereign; hotline coverage of a country gets dates

``countries.is_sovereign`` marks sovereign states (UN members and observers, and Kosovo) apart
from dependent territories; it is filled here for the rows already seeded, so an upgraded
database is right without re-seeding (``flask seed`` keeps it current afterwards).

``hotline_countries`` becomes a table of dated spells (own id, ``covered_from`` inclusive,
``covered_until`` exclusive, at most one open spell per hotline and country). Existing rows
become open spells from the hotline's first provisional / full admission (NULL for a hotline
never admitted: covered from whenever it is). The rows are few (one per hotline and country),
so they are read, the table is rebuilt and they are written back, the same on both backends.

Revision ID: 5e2b7c9d1f08
Revises: 9c1d5e7a2b44
Create Date: 2026-11-27 10:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "5e2b7c9d1f08"
down_revision = "9c1d5e7a2b44"
branch_labels = None
depends_on = None

# Not members of the UN, yet sovereign states as this network counts them. The same list as
# coordapp.reference.service.NON_MEMBER_STATES (a migration keeps its own copy: it must mean
# the same thing however the application code changes later).
NON_MEMBER_STATES = ("VA", "PS", "XK")


def _un_member_alpha3() -> list[str]:
    import country_converter

    data = country_converter.CountryConverter().data
    # By alpha-3: the table's ISO2 column holds regular expressions for a few (^GB$|^UK$).
    return sorted({str(code) for code in data.loc[data["UNmember"].notna(), "ISO3"]})


def upgrade():
    # Plain ALTER TABLE on both backends: a batch rebuild of ``countries`` on SQLite would
    # drop a table that hotlines and organizations reference.
    op.add_column(
        "countries",
        sa.Column("is_sovereign", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    countries = sa.table(
        "countries", sa.column("alpha2"), sa.column("alpha3"), sa.column("is_sovereign")
    )
    op.execute(
        countries.update()
        .where(
            sa.or_(
                countries.c.alpha3.in_(_un_member_alpha3()),
                countries.c.alpha2.in_(NON_MEMBER_STATES),
            )
        )
        .values(is_sovereign=True)
    )

    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT hc.hotline_id, hc.country_code, "
            "(SELECT min(e.event_date) FROM hotline_membership_events e "
            "  WHERE e.hotline_id = hc.hotline_id AND e.status IN ('provisional', 'full')) "
            "  AS covered_from "
            "FROM hotline_countries hc ORDER BY hc.hotline_id, hc.country_code"
        ).columns(
            sa.column("hotline_id", sa.Integer),
            sa.column("country_code", sa.String),
            sa.column("covered_from", sa.Date),  # SQLite hands back text otherwise
        )
    ).all()
    with op.batch_alter_table("hotline_countries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hotline_countries_country_code"))
    op.drop_table("hotline_countries")
    spells = op.create_table(
        "hotline_countries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hotline_id", sa.Integer(), nullable=False),
        sa.Column("country_code", sa.String(length=2), nullable=False),
        sa.Column("covered_from", sa.Date(), nullable=True),
        sa.Column("covered_until", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "covered_until IS NULL OR covered_from IS NULL OR covered_until > covered_from",
            name=op.f("ck_hotline_countries_covered_spell_not_empty"),
        ),
        sa.ForeignKeyConstraint(
            ["country_code"],
            ["countries.alpha2"],
            name=op.f("fk_hotline_countries_country_code_countries"),
        ),
        sa.ForeignKeyConstraint(
            ["hotline_id"],
            ["hotlines.id"],
            name=op.f("fk_hotline_countries_hotline_id_hotlines"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hotline_countries")),
    )
    with op.batch_alter_table("hotline_countries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_hotline_countries_country_code"), ["country_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_hotline_countries_hotline_id"), ["hotline_id"], unique=False
        )
        batch_op.create_index(
            "uq_hotline_countries_open_spell",
            ["hotline_id", "country_code"],
            unique=True,
            sqlite_where=sa.text("covered_until IS NULL"),
            postgresql_where=sa.text("covered_until IS NULL"),
        )
    if rows:
        op.bulk_insert(
            spells,
            [
                {
                    "hotline_id": r.hotline_id,
                    "country_code": r.country_code,
                    "covered_from": r.covered_from,
                    "covered_until": None,
                }
                for r in rows
            ],
        )


def downgrade():
    # Closed spells (history) cannot be represented before this revision: they are dropped.
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT DISTINCT hotline_id, country_code FROM hotline_countries "
            "WHERE covered_until IS NULL ORDER BY hotline_id, country_code"
        )
    ).all()
    with op.batch_alter_table("hotline_countries", schema=None) as batch_op:
        batch_op.drop_index("uq_hotline_countries_open_spell")
        batch_op.drop_index(batch_op.f("ix_hotline_countries_hotline_id"))
        batch_op.drop_index(batch_op.f("ix_hotline_countries_country_code"))
    op.drop_table("hotline_countries")
    pairs = op.create_table(
        "hotline_countries",
        sa.Column("hotline_id", sa.Integer(), nullable=False),
        sa.Column("country_code", sa.String(length=2), nullable=False),
        sa.ForeignKeyConstraint(
            ["country_code"],
            ["countries.alpha2"],
            name=op.f("fk_hotline_countries_country_code_countries"),
        ),
        sa.ForeignKeyConstraint(
            ["hotline_id"],
            ["hotlines.id"],
            name=op.f("fk_hotline_countries_hotline_id_hotlines"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("hotline_id", "country_code", name=op.f("pk_hotline_countries")),
    )
    with op.batch_alter_table("hotline_countries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_hotline_countries_country_code"), ["country_code"], unique=False
        )
    if rows:
        op.bulk_insert(
            pairs, [{"hotline_id": r.hotline_id, "country_code": r.country_code} for r in rows]
        )
    op.drop_column("countries", "is_sovereign")  # SQLite 3.35+ drops a column in place
