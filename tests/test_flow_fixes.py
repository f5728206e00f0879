"""Gaps found by running the whole loop in the browser (tests/browser/test_proposal_to_won_deal.py), each
pinned here without a browser."""

from __future__ import annotations

from tests.curation_world import run, world  # noqa: F401 (fixture)

HTMX = {"HX-Request": "true"}


def test_the_acceptance_that_shares_contacts_reloads_the_match_page(client, auth, db, world):
    """With htmx only the panel is swapped; the contacts and the meeting form are outside it, so the
    second acceptance asks the browser to reload (and the first does not)."""
    run(db, world, ("introduce", "curator"))
    accept = f"/matches/{world['match'].id}/accept"
    auth.login(world["exporter_member"].email)
    first = client.post(accept, headers=HTMX)
    assert first.status_code == 200 and "HX-Refresh" not in first.headers
    auth.logout()
    auth.login(world["buyer_member"].email)
    second = client.post(accept, headers=HTMX)
    assert second.status_code == 200 and second.headers["HX-Refresh"] == "true"
    page = client.get(f"/matches/{world['match'].id}").get_data(as_text=True)
    assert "You accepted the introduction." in page  # the message, as a flash after the reload
    assert "siti.private@jeparateak.example" in page and 'id="meetings"' in page


def test_the_queue_links_to_the_dashboard_and_the_diversification_view(client, auth, world):
    auth.login(world["curator"].email)
    page = client.get("/curation").get_data(as_text=True)
    assert 'href="/curation/dashboard"' in page and 'href="/curation/diversification"' in page
    # The filters' htmx answer is the rows alone: the links are not repeated into the results.
    rows = client.get("/curation?sector=furniture", headers=HTMX).get_data(as_text=True)
    assert 'href="/curation/dashboard"' not in rows
