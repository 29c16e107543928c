"""Demo users, partner organizations and their contacts."""

from __future__ import annotations

from datetime import timedelta

from coordapp.auth import invites
from coordapp.auth import service as auth
from coordapp.demo import data
from coordapp.demo.context import DemoContext, seeded_random, slug
from coordapp.partners.models import (
    Contact,
    Organization,
    OrganizationKind,
    OrganizationStatus,
)


def add_users(ctx: DemoContext) -> None:
    for email, role, full_name, key in data.USERS:
        user = auth.get_by_email(ctx.session, email)
        if user is None:
            # The documented demo credential, not a chosen one: the password policy (which
            # refuses it, being built from the accounts' domain coordapp.example) is skipped.
            user = auth.create_user(
                ctx.session,
                email=email,
                full_name=full_name,
                role=role,
                password=data.DEMO_PASSWORD,
                password_policy=False,
            )
            ctx.counts["users"] += 1
        ctx.users[key] = user


def add_hotline_users(ctx: DemoContext) -> None:
    """Hotline staff, each bound to their hotline(s) (after ``add_hotlines``)."""
    for email, full_name, keys in data.HOTLINE_USERS:
        if auth.get_by_email(ctx.session, email) is not None:
            continue
        user = auth.create_user(
            ctx.session,
            email=email,
            full_name=full_name,
            role="hotline",
            password=data.DEMO_PASSWORD,
            password_policy=False,  # the documented demo credential (see add_users)
        )
        invites.set_user_hotlines(
            ctx.session, user=user, hotline_ids=[ctx.hotlines[key].id for key in keys]
        )
        ctx.counts["users"] += 1


def add_organizations(ctx: DemoContext) -> None:
    orgs = [
        Organization(
            name=data.SECRETARIAT_NAME,
            kind=OrganizationKind.NGO,
            status=OrganizationStatus.ACTIVE,
            hq_country_code=data.SECRETARIAT_COUNTRY,
            website="https://secretariat.example.org",
            tags=data.SECRETARIAT_TAGS,
            notes=data.SECRETARIAT_NOTES,
        )
    ]
    for name, kind, country, status, tags, notes in data.PARTNERS:
        orgs.append(
            Organization(
                name=name,
                kind=OrganizationKind(kind),
                status=OrganizationStatus(status),
                hq_country_code=country,
                website=f"https://{slug(name)}.example.org",
                tags=tags,
                notes=notes,
            )
        )
    ctx.orgs.update((org.name, org) for org in orgs)
    ctx.add_all("organizations", list(orgs))


def add_contacts(ctx: DemoContext) -> None:
    contacts: list[object] = []
    for name, kind, country, status, _tags, _notes in data.PARTNERS:
        rng = seeded_random("contacts", name)
        domain = f"{slug(name)}.example.org"
        titles = list(data.JOB_TITLES[kind])
        rng.shuffle(titles)
        people: set[tuple[str, str]] = set()
        for i in range(rng.randint(1, 3)):
            first, last = rng.choice(data.FIRST_NAMES), rng.choice(data.LAST_NAMES)
            if (first, last) in people:
                continue
            people.add((first, last))
            # A third of the contacts have not been spoken to for over six months.
            stale = status == "inactive" or rng.random() < 0.33
            days_ago = rng.randint(190, 900) if stale else rng.randint(3, 170)
            last_contacted = None if rng.random() < 0.06 else ctx.today - timedelta(days=days_ago)
            phone = f"+1 202 555 01{rng.randint(0, 99):02d}" if country in ("US", "CA") else None
            contacts.append(
                Contact(
                    organization=ctx.orgs[name],
                    full_name=f"{first} {last}",
                    job_title=titles[i % len(titles)],
                    email=f"{slug(first, 1)}.{slug(last).replace('-', '')}@{domain}",
                    phone=phone,
                    last_contacted_on=last_contacted,
                    lawful_basis=rng.choice(data.LAWFUL_BASES),
                )
            )
    ctx.add_all("contacts", contacts)
