"""Two people editing the same record: the second is told, nothing is overwritten or lost, and the
audit trail records what each change really replaced."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import text
from sqlmodel import select

from matchmaker import migrate
from matchmaker.db import make_engine
from matchmaker.models import AuditEvent, Organisation, ProductProfile
from matchmaker.services.audit import snapshot

from tests.conftest import PASSWORD

PRODUCT = {"title": "Solid teak dining table", "description": "Kiln-dried.", "hs_code": "940360",
           "unit": "pcs", "language": "en", "moq": "20", "certifications": ["svlk"], "incoterms": ["FOB"],
           "draft": "1"}
PROFILE = {"name": "PT Jati Baru", "kind": "exporter", "country": "ID", "city": "Jepara",
           "description": "Mebel jati untuk hotel.", "website": "https://jatibaru.example",
           "languages": ["id", "en"], "contact_person": "Siti", "contact_email": "siti@jatibaru.example",
           "contact_phone": "+62 291 555 0101"}


def form_version(html: str) -> str:
    """The version an edit form carries back (its hidden field)."""
    tag = re.search(r'<input[^>]*name="version"[^>]*>', html).group(0)
    return re.search(r'value="(\d*)"', tag).group(1)


def signed_in(app, email: str):
    client = app.test_client()
    assert client.post("/login", data={"email": email, "password": PASSWORD}).status_code == 302
    return client


def audit_trail(db, entity_type: str, entity_id: int) -> list[AuditEvent]:
    db.expire_all()
    return list(db.exec(select(AuditEvent).where(AuditEvent.entity_type == entity_type,
                                                 AuditEvent.entity_id == entity_id).order_by(AuditEvent.id)))


def test_the_second_edit_from_the_same_version_is_refused_and_shown_both_versions(app, make, db):
    org = make.organisation()
    product = make.product(org, title="Solid teak dining table", status="draft")
    first, second = signed_in(app, make.user(org).email), signed_in(app, make.user(org).email)
    url = f"/products/{product.id}/edit"
    opened = form_version(first.get(url).get_data(as_text=True))
    assert form_version(second.get(url).get_data(as_text=True)) == opened == "1"

    ani, budi = {**PRODUCT, "title": "Teak table by Ani"}, {**PRODUCT, "title": "Teak table by Budi"}
    assert first.post(url, data={**ani, "version": opened}).status_code == 302
    response = second.post(url, data={**budi, "moq": "50", "version": opened})

    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Someone else changed this since you opened it" in page
    conflict = page[page.index('role="alert"'):page.index("</section>")]
    # The current version and what Budi typed, side by side.
    assert "Teak table by Ani" in conflict and "Teak table by Budi" in conflict
    form = page[page.index("<form"):]
    assert 'value="Teak table by Budi"' in form and 'value="50"' in form  # what Budi typed, kept
    assert form_version(page) == "2"  # so saving again replaces the current version knowingly
    db.expire_all()
    stored = db.get(ProductProfile, product.id)
    assert (stored.title, stored.moq, stored.version) == ("Teak table by Ani", 20, 2)
    (edited,) = audit_trail(db, "product_profile", product.id)
    assert (edited.before["title"], edited.after["title"]) == ("Solid teak dining table", "Teak table by Ani")

    resubmitted = second.post(url, data={**budi, "version": form_version(page)})
    assert resubmitted.status_code == 302
    first_edit, second_edit = audit_trail(db, "product_profile", product.id)
    assert second_edit.before == first_edit.after
    assert second_edit.after["title"] == "Teak table by Budi" and second_edit.after["version"] == 3


def test_a_stale_organisation_edit_is_refused_and_nothing_is_saved(app, make, db):
    org = make.organisation(name="PT Jati Lama")
    first, second = signed_in(app, make.user(org).email), signed_in(app, make.user(org).email)
    url = f"/organisations/{org.id}/edit"
    assert first.post(url, data={**PROFILE, "city": "Semarang", "version": "1"}).status_code == 302
    response = second.post(url, data={**PROFILE, "city": "Surabaya", "version": "1"})
    assert response.status_code == 409
    assert 'value="Surabaya"' in response.get_data(as_text=True)
    db.expire_all()
    assert (db.get(Organisation, org.id).city, db.get(Organisation, org.id).version) == ("Semarang", 2)
    assert len(audit_trail(db, "organisation", org.id)) == 1


def test_an_edit_without_a_version_is_treated_as_stale(app, make, db):
    org = make.organisation()
    product = make.product(org, title="Before")
    client = signed_in(app, make.user(org).email)
    assert client.post(f"/products/{product.id}/edit", data={**PRODUCT, "title": "After"}).status_code == 409
    db.expire_all()
    assert db.get(ProductProfile, product.id).title == "Before"


def test_concurrent_edits_keep_an_unbroken_audit_trail(app, make, db, eager_thread_switching):
    editors = 6
    org = make.organisation()
    product = make.product(org, status="draft")
    clients = [signed_in(app, make.user(org).email) for _ in range(editors)]
    url = f"/products/{product.id}/edit"

    def edit(number: int) -> list[int]:
        """Open the form and save; after a conflict, save again over the version the page shows."""
        client, statuses = clients[number], []
        version = form_version(client.get(url).get_data(as_text=True))
        while not statuses or statuses[-1] == 409:
            response = client.post(url, data={**PRODUCT, "title": f"Edit {number}", "version": version})
            statuses.append(response.status_code)
            if response.status_code == 409:
                version = form_version(response.get_data(as_text=True))
        return statuses

    with ThreadPoolExecutor(editors) as pool:
        statuses = list(pool.map(edit, range(editors)))

    assert all(set(s[:-1]) <= {409} and s[-1] == 302 for s in statuses), statuses
    trail = audit_trail(db, "product_profile", product.id)
    assert len(trail) == editors
    for previous, event in zip(trail, trail[1:]):
        assert event.before == previous.after
    assert [event.after["version"] for event in trail] == list(range(2, editors + 2))
    db.expire_all()
    assert trail[-1].after == snapshot(db.get(ProductProfile, product.id))


def test_records_stored_before_the_upgrade_start_at_version_one(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    migrate.upgrade(url, "2db569fd1a4f")  # the schema before edit versions
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO organisation (slug, name, country, city, kind, description, website, languages, "
                "verified, contact_person, contact_email, contact_phone, created_at) "
                "VALUES ('old', 'Old Org', 'ID', '', 'exporter', '', '', '[]', 0, '', '', '', '2026-01-01')"))
        migrate.upgrade(url)
        with engine.connect() as connection:
            assert connection.execute(text("SELECT version FROM organisation")).scalar_one() == 1
    finally:
        engine.dispose()
