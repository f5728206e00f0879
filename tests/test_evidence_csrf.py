"""With CSRF protection on (as in production): verification, certificates and the catalogue import work
with the pages' tokens, refuse posts without them, and an oversized upload still gets its message."""

from __future__ import annotations

import io
import re

import pytest
from sqlmodel import func, select

from matchmaker import create_app
from matchmaker.models import Certificate, Organisation, ProductProfile

PASSWORD = "correct-horse-2026"  # the factory users' password (tests/conftest.py)
CSV = (b"organisation,title,hs_code,moq,unit\n"
       b"PT Jati Baru,Teak dining chair,940161,200,pcs\n")


@pytest.fixture
def csrf_client(database_url, app, tmp_path):  # the ``app`` fixture empties the tables afterwards
    protected = create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "test-secret",
                            "IMPORT_STASH_DIR": str(tmp_path)})
    assert protected.config["WTF_CSRF_ENABLED"] is True
    yield protected.test_client()
    protected.extensions["db_engine"].dispose()


def token_from(html: str) -> str:
    return re.search(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def log_in(client, email):
    token = token_from(client.get("/login").get_data(as_text=True))
    assert client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token}).status_code == 302


@pytest.fixture
def people(make):
    chamber = make.organisation(kind="chamber", country="ID")
    org = make.organisation(kind="exporter", country="ID", name="PT Jati Baru")
    return {"curator": make.user(chamber, role="curator"), "member": make.user(org), "org": org}


def test_verification_and_certificates_need_the_pages_token(csrf_client, db, people):
    org = people["org"]
    log_in(csrf_client, people["member"].email)
    data = {"kind": "svlk", "issuer": "Sucofindo", "number": "V-1", "expires_on": "2030-01-31"}
    assert csrf_client.post(f"/organisations/{org.id}/certificates", data=data).status_code == 400
    assert db.exec(select(Certificate)).all() == []
    token = token_from(csrf_client.get(f"/organisations/{org.id}").get_data(as_text=True))
    assert csrf_client.post(f"/organisations/{org.id}/certificates",
                            data={**data, "csrf_token": token}).status_code == 302
    certificate = db.exec(select(Certificate)).one()
    csrf_client.post("/logout", data={"csrf_token": token})

    log_in(csrf_client, people["curator"].email)
    evidence = {"registration_number": "9120001234567", "note": "OSS"}
    assert csrf_client.post(f"/organisations/{org.id}/verify", data=evidence).status_code == 400
    assert csrf_client.post(f"/certificates/{certificate.id}/verify").status_code == 400
    token = token_from(csrf_client.get(f"/organisations/{org.id}").get_data(as_text=True))
    assert csrf_client.post(f"/organisations/{org.id}/verify",
                            data={**evidence, "csrf_token": token}).status_code == 302
    assert csrf_client.post(f"/certificates/{certificate.id}/verify",
                            data={"csrf_token": token}).status_code == 302
    db.expire_all()
    assert db.get(Organisation, org.id).verified and db.get(Certificate, certificate.id).verified_at


def test_import_check_then_apply_with_tokens(csrf_client, db, people):
    log_in(csrf_client, people["curator"].email)
    upload = {"file": (io.BytesIO(CSV), "m.csv"), "action": "apply"}
    assert csrf_client.post("/curation/import", data=upload, content_type="multipart/form-data").status_code == 400
    token = token_from(csrf_client.get("/curation/import").get_data(as_text=True))
    html = csrf_client.post("/curation/import", data={"file": (io.BytesIO(CSV), "m.csv"), "action": "check",
                                                      "csrf_token": token},
                            content_type="multipart/form-data").get_data(as_text=True)
    kept = re.search(r'name="upload" value="([^"]+)"', html).group(1)
    response = csrf_client.post("/curation/import", data={"upload": kept, "action": "apply",
                                                          "csrf_token": token_from(html)})
    assert response.status_code == 302
    assert db.exec(select(func.count()).select_from(ProductProfile)).one() == 1


def test_an_oversized_upload_gets_the_message_before_the_token_is_read(csrf_client, db, people):
    log_in(csrf_client, people["curator"].email)
    token = token_from(csrf_client.get("/curation/import").get_data(as_text=True))
    big = CSV + b"#" * (1024 * 1024)
    response = csrf_client.post("/curation/import", data={"file": (io.BytesIO(big), "m.csv"), "action": "check",
                                                          "csrf_token": token}, content_type="multipart/form-data")
    assert response.status_code == 413
    assert "The file is larger than 1 MB" in response.get_data(as_text=True)
