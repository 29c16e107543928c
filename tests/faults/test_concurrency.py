"""Several managers saving one record at the same moment, and two imports running at once.

Every thread has its own app context, session and database connection, and really commits:
exactly one save per version wins, the others are refused as stale, and nothing is lost.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from coordapp.audit import service as audit
from coordapp.audit.models import AuditEvent
from coordapp.auth import service as auth_service
from coordapp.extensions import db
from coordapp.imports import service as imports
from coordapp.imports.report import ImportReport
from coordapp.partners import organizations, partnerships
from coordapp.partners.models import Organization, Partnership
from coordapp.records.service import StaleRecord
from tests.conftest import PASSWORD, sign_in

# Its tests share a database built once per module: one xdist worker runs them all.
pytestmark = pytest.mark.xdist_group("faults.test_concurrency")

THREADS = 6
ROUNDS = 3


def _in_threads(count: int, work: Callable[[int, threading.Barrier], Any]) -> list[Any]:
    """Run ``work(i, barrier)`` in ``count`` threads; return results (or raised exceptions)."""
    barrier = threading.Barrier(count, timeout=30)
    results: list[Any] = [None] * count

    def run(index: int) -> None:
        try:
            results[index] = work(index, barrier)
        except BaseException as exc:  # noqa: BLE001  (reported by the test)
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a thread hung (deadlock?)"
    return results


def _commit_setup(app: Flask, build: Callable[[Session], Any]) -> Any:
    with app.app_context():
        session = db.session()
        audit.set_actor(session, actor_id=None, label="test:setup")
        obj = build(session)
        session.commit()
        ident = obj.id
        db.session.remove()
    return ident


def _updates_of(app: Flask, table: str, ident: int) -> list[AuditEvent]:
    with app.app_context():
        events = [
            e
            for e in audit.events_for(db.session(), entity_type=table, entity_id=ident)
            if e.action == "update"
        ]
        db.session.remove()
    return events


def _race(
    app: Flask, *, model: Any, ident: int, version: int, change: Callable[[Session, Any, int], None]
) -> list[str]:
    """Every thread loads the record, waits for the others, then saves against ``version``."""

    def work(index: int, barrier: threading.Barrier) -> str:
        with app.app_context():
            session = db.session()
            audit.set_actor(session, actor_id=None, label=f"test:thread-{index}")
            obj = session.get(model, ident)
            assert obj is not None
            barrier.wait()
            try:
                change(session, obj, index)
                session.commit()
            except (StaleRecord, StaleDataError):
                session.rollback()
                return "conflict"
            finally:
                db.session.remove()
            return f"won:{index}"

    outcomes = _in_threads(THREADS, work)
    errors = [o for o in outcomes if isinstance(o, BaseException)]
    assert not errors, errors
    return outcomes


def _organization_data(obj: Organization, notes: str) -> dict[str, Any]:
    return {
        "name": obj.name,
        "kind": obj.kind.value,
        "status": obj.status.value,
        "hq_country_code": obj.hq_country_code,
        "website": obj.website,
        "tags": obj.tags,
        "notes": notes,
    }


def test_one_save_per_organization_version_wins(committed_app: Flask) -> None:
    ident = _commit_setup(
        committed_app,
        lambda s: organizations.create_organization(
            s, data={"name": "Race Org", "kind": "ngo", "hq_country_code": "NL"}
        ),
    )
    for version in range(1, ROUNDS + 1):

        def change(session: Session, obj: Any, index: int, version: int = version) -> None:
            organizations.update_organization(
                session,
                obj=obj,
                data=_organization_data(obj, f"round {version} by thread {index}"),
                expected_version=version,
            )

        outcomes = _race(
            committed_app, model=Organization, ident=ident, version=version, change=change
        )
        winners = [o for o in outcomes if o.startswith("won:")]
        assert len(winners) == 1, outcomes
        assert outcomes.count("conflict") == THREADS - 1
        with committed_app.app_context():
            org = db.session.get(Organization, ident)
            assert org is not None
            assert org.version == version + 1
            assert org.notes == f"round {version} by thread {winners[0][4:]}"
            db.session.remove()
        updates = _updates_of(committed_app, "organizations", ident)
        assert len(updates) == version, [u.changes for u in updates]
        assert updates[-1].changes["notes"][1] == org.notes


def test_one_save_per_partnership_version_wins(committed_app: Flask) -> None:
    def build(session: Session) -> Partnership:
        organizations.create_organization(
            session, data={"name": "Race Partner", "kind": "industry", "hq_country_code": "DE"}
        )
        return partnerships.create_partnership(
            session,
            data={"organization": "Race Partner", "title": "Race MoU", "type": "strategic_mou"},
        )

    ident = _commit_setup(committed_app, build)

    def change(session: Session, obj: Any, index: int) -> None:
        partnerships.update_partnership(
            session,
            obj=obj,
            data={
                "organization": obj.organization.name,
                "title": f"Race MoU v{index}",
                "type": obj.type.value,
                "status": obj.status.value,
                "renewal_notice_days": obj.renewal_notice_days,
                "owner_id": obj.owner_id,
            },
            expected_version=1,
        )

    outcomes = _race(committed_app, model=Partnership, ident=ident, version=1, change=change)
    winners = [o for o in outcomes if o.startswith("won:")]
    assert len(winners) == 1, outcomes
    with committed_app.app_context():
        partnership = db.session.get(Partnership, ident)
        assert partnership is not None
        assert partnership.version == 2
        assert partnership.title == f"Race MoU v{winners[0][4:]}"
        db.session.remove()
    assert len(_updates_of(committed_app, "partnerships", ident)) == 1


@pytest.fixture(scope="module")
def manager_email(committed_app: Flask) -> str:
    email = "race-manager@test.example"
    _commit_setup(
        committed_app,
        lambda s: auth_service.create_user(
            s, email=email, full_name="Race Manager", role="manager", password=PASSWORD
        ),
    )
    return email


def test_two_managers_posting_the_same_version_one_302_the_rest_409(
    committed_app: Flask, manager_email: str
) -> None:
    ident = _commit_setup(
        committed_app,
        lambda s: organizations.create_organization(
            s, data={"name": "Web Race Org", "kind": "academic", "hq_country_code": "FR"}
        ),
    )
    clients = []
    for _ in range(THREADS):
        client = committed_app.test_client()
        assert sign_in(client, manager_email).status_code == 302
        clients.append(client)

    def work(index: int, barrier: threading.Barrier) -> int:
        form = {
            "name": "Web Race Org",
            "kind": "academic",
            "status": "prospect",
            "hq_country_code": "FR",
            "notes": f"saved by client {index}",
            "version": "1",
        }
        barrier.wait()
        response = clients[index].post(f"/organizations/{ident}/edit", data=form)
        return response.status_code

    statuses = _in_threads(THREADS, work)
    assert sorted(statuses) == [302] + [409] * (THREADS - 1), statuses
    winner = statuses.index(302)
    with committed_app.app_context():
        org = db.session.get(Organization, ident)
        assert org is not None
        assert (org.version, org.notes) == (2, f"saved by client {winner}")
        db.session.remove()
    assert len(_updates_of(committed_app, "organizations", ident)) == 1


ORGS_CSV = "name,kind,status,hq_country,notes\n" + "".join(
    f"Concurrent Import {i:02d},ngo,active,Netherlands,row {i}\n" for i in range(40)
)


def _import(app: Flask, content: str, *, apply: bool = True) -> ImportReport:
    with app.app_context():
        session = db.session()
        audit.set_actor(session, actor_id=None, label="test:import")
        try:
            report = imports.run_import(
                session,
                type_name="organizations",
                filename="orgs.csv",
                content=content.encode(),
                apply=apply,
            )
            session.commit()
        finally:
            db.session.remove()
    return report


@pytest.mark.parametrize("rows", [40, 1])
@pytest.mark.parametrize("second_file", ["same", "other case"])
def test_two_imports_at_once_stay_consistent(
    committed_app: Flask, second_file: str, rows: int
) -> None:
    first = "".join(ORGS_CSV.splitlines(keepends=True)[: rows + 1])
    files = [first, first if second_file == "same" else first.replace("Import", "IMPORT")]
    prefix = "concurrent import %"

    def names() -> list[str]:
        with committed_app.app_context():
            found = db.session.scalars(
                sa.select(Organization.name).where(sa.func.lower(Organization.name).like(prefix))
            ).all()
            db.session.remove()
        return sorted(found)

    with committed_app.app_context():
        db.session.execute(
            sa.delete(Organization).where(sa.func.lower(Organization.name).like(prefix))
        )
        db.session.commit()
        db.session.remove()

    def work(index: int, barrier: threading.Barrier) -> ImportReport:
        barrier.wait()
        return _import(committed_app, files[index])

    reports = _in_threads(2, work)
    errors = [r for r in reports if isinstance(r, BaseException)]
    assert not errors, errors
    # Each import is all or nothing: applied with every row, or refused with row errors.
    for report in reports:
        if report.applied:
            assert report.ok and report.counts["error"] == 0, report.summary()
            assert sum(report.counts.values()) == rows, report.counts
        else:
            assert report.errors, report.summary()
    assert any(r.applied for r in reports)
    # No duplicate (in any case), none missing, and exactly one file's names: never a mix of
    # rows from both files, which would mean the two imports interleaved.
    stored = names()
    file_names = [sorted(line.split(",")[0] for line in f.splitlines()[1:]) for f in files]
    assert stored in file_names, stored
    # Importing again finds every row there: the file whose names stand changes nothing.
    for content, expected in zip(files, file_names, strict=True):
        again = _import(committed_app, content, apply=False)
        assert again.ok, again.summary()
        if expected == stored:
            assert again.counts["unchanged"] == rows, again.counts


def test_two_managers_creating_one_hotline_name_at_once_make_one(committed_app: Flask) -> None:
    """Hotline names are unique in any case, a rule the database does not enforce: each save
    takes the writers' lock before it checks the name, so exactly one of them creates it."""
    from coordapp.errors import ValidationError
    from coordapp.network import hotlines
    from coordapp.network.models import Hotline

    def work(index: int, barrier: threading.Barrier) -> str:
        with committed_app.app_context():
            session = db.session()
            audit.set_actor(session, actor_id=None, label=f"test:thread-{index}")
            barrier.wait()
            try:
                hotlines.create_hotline(
                    session,
                    data={
                        "name": "Concurrent Line" if index % 2 else "CONCURRENT LINE",
                        "country_code": "BE",
                    },
                )
                session.commit()
                return "created"
            except ValidationError as refused:
                session.rollback()
                assert "already exists" in refused.message
                return "refused"
            finally:
                db.session.remove()

    outcomes = _in_threads(THREADS, work)
    assert not [o for o in outcomes if isinstance(o, BaseException)], outcomes
    assert outcomes.count("created") == 1, outcomes
    with committed_app.app_context():
        stored = db.session.scalars(
            sa.select(Hotline.name).where(sa.func.lower(Hotline.name) == "concurrent line")
        ).all()
        db.session.remove()
    assert len(stored) == 1, stored
