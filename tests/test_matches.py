"""Matches in the platform: recomputed when an item is saved, shown with a readable "why"."""

from __future__ import annotations

import re

from sqlmodel import select

from matchmaker.models import Match


def _matches(db, **where):
    db.expire_all()
    statement = select(Match)
    for key, value in where.items():
        statement = statement.where(getattr(Match, key) == value)
    return list(db.exec(statement).all())


def _setup_catalogue(make):
    exporter = make.organisation(kind="exporter", country="ID", name="PT Jepara Jati")
    teak = make.product(exporter, title="Kursi dan meja makan jati solid", hs_code="940360",
                        description="Set meja makan kayu jati untuk hotel dan restoran", language="id")
    cloth = make.product(exporter, title="Kain katun tenun", hs_code="520812", unit="m",
                         description="Kain katun untuk seragam", language="id", certifications=[])
    buyer_org = make.organisation(kind="buyer", country="KZ", name="ТОО Астана Отель Снаб")
    buyer = make.user(buyer_org)
    return exporter, teak, cloth, buyer_org, buyer


def test_posting_a_request_stores_ranked_matches_with_explanations(client, auth, make, db):
    _, teak, cloth, _, buyer = _setup_catalogue(make)
    auth.login(buyer.email)
    response = client.post("/requests/new", data={
        "title": "Мебель из тикового дерева для гостиниц", "description": "120 номеров, поставка DAP Алматы",
        "hs_code": "", "unit": "sets", "quantity": "120", "language": "ru", "publish": "1"})
    assert response.status_code == 302
    request_id = int(re.search(r"/requests/(\d+)", response.headers["Location"]).group(1))

    stored = sorted(_matches(db, request_id=request_id), key=lambda m: -m.score)
    assert stored and stored[0].product_id == teak.id
    explanation = stored[0].explanation
    assert abs(sum(c["contribution"] for c in explanation["components"]) - explanation["score"]) < 1e-9

    page = client.get(f"/requests/{request_id}").get_data(as_text=True)
    assert page.index("Kursi dan meja makan jati solid") < page.index("Why this match?")


def test_why_this_match_page_shows_every_part_in_points_adding_up_to_the_grade(client, auth, make, db):
    _, teak, _, buyer_org, buyer = _setup_catalogue(make)
    auth.login(buyer.email)  # a match page is for the parties
    request = make.request(buyer_org, title="Teak dining furniture for hotels", language="en")
    client.application.test_cli_runner().invoke(args=["rematch"])
    match = _matches(db, request_id=request.id, product_id=teak.id)[0]
    page = client.get(f"/matches/{match.id}").get_data(as_text=True)
    points = [round(c["contribution"] * 100) for c in match.explanation["components"]]
    values = [int(v) for v in re.findall(r'<span class="breakdown-value">\+(\d+)</span>', page)]
    assert values == points and sum(values) == round(match.score * 100)
    assert f'<span class="score big" title="Match grade out of 100">{round(match.score * 100)}</span>' in page
    assert page.count("breakdown-fill") == len(points) + 1  # each part, then the grade


def test_why_this_match_page_reads_as_sentences_without_ids_or_raw_figures(client, auth, make, db):
    _, teak, _, buyer_org, buyer = _setup_catalogue(make)
    auth.login(buyer.email)  # a match page is for the parties
    request = make.request(buyer_org, title="Teak dining furniture for hotels")
    client.application.test_cli_runner().invoke(args=["rematch"])
    match = _matches(db, request_id=request.id, product_id=teak.id)[0]
    rows = _why_rows(client, match.id, "en")
    assert "Both are about" in rows and "HS 9403.60" in rows
    assert "Similarity" not in rows and "confidence" not in rows
    for component in match.explanation["components"]:
        assert f'{component["value"]:.2f}' not in rows or component["value"] in (0, 1)
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", rows)  # no concept ids such as dining_set


def _why_rows(client, match_id: int, lang: str) -> str:
    page = client.get(f"/matches/{match_id}?lang={lang}").get_data(as_text=True)
    return page[page.index('<ol class="breakdown"'):page.index("</ol>", page.index('<ol class="breakdown"'))]


def test_why_this_match_page_explains_in_the_chosen_language(client, auth, make, db):
    _, teak, _, buyer_org, buyer = _setup_catalogue(make)
    auth.login(buyer.email)  # a match page is for the parties
    request = make.request(buyer_org, title="Teak dining furniture for hotels", unit="pcs")
    client.application.test_cli_runner().invoke(args=["rematch"])
    match = _matches(db, request_id=request.id, product_id=teak.id)[0]
    assert "120 pcs asked, minimum order 20 pcs" in _why_rows(client, match.id, "en")
    rows = _why_rows(client, match.id, "ru")
    assert "запрошено 120 шт., минимальный заказ 20 шт." in rows
    assert "ID→KZ — приоритетный коридор для отрасли «мебель»" in rows
    assert "тик" in rows  # the concept named in Russian
    assert "asked" not in rows and "{" not in rows and "}" not in rows


def test_explanations_stored_before_phrases_show_their_english_detail(client, auth, make, db):
    _, teak, _, buyer_org, buyer = _setup_catalogue(make)
    auth.login(buyer.email)  # a match page is for the parties
    request = make.request(buyer_org, title="Teak dining furniture for hotels", unit="pcs")
    client.application.test_cli_runner().invoke(args=["rematch"])
    match = _matches(db, request_id=request.id, product_id=teak.id)[0]
    old = dict(match.explanation)
    old["components"] = [{k: v for k, v in c.items() if k != "phrases"} for c in old["components"]]
    match.explanation = old
    db.add(match)
    db.commit()
    assert "120 pcs asked, minimum order 20 pcs" in _why_rows(client, match.id, "ru")


def test_unpublishing_a_product_removes_its_proposed_matches(client, auth, make, db):
    exporter, teak, _, buyer_org, _ = _setup_catalogue(make)
    make.request(buyer_org, title="Teak dining furniture for hotels")
    client.application.test_cli_runner().invoke(args=["rematch"])
    assert _matches(db, product_id=teak.id)
    owner = make.user(exporter)
    auth.login(owner.email)
    client.post(f"/products/{teak.id}/status", data={"status": "archived"})
    assert _matches(db, product_id=teak.id) == []


def test_curated_match_survives_a_recompute(client, auth, make, db):
    exporter, teak, _, buyer_org, _ = _setup_catalogue(make)
    make.request(buyer_org, title="Teak dining furniture for hotels")
    client.application.test_cli_runner().invoke(args=["rematch"])
    match = _matches(db, product_id=teak.id)[0]
    match.status = "curated"
    db.add(match)
    db.commit()
    owner = make.user(exporter)
    auth.login(owner.email)
    client.post(f"/products/{teak.id}/status", data={"status": "archived"})
    assert [m.status for m in _matches(db, product_id=teak.id)] == ["curated"]


def test_a_recompute_updates_a_curated_match_without_resetting_its_status(client, auth, make, db):
    exporter, teak, _, buyer_org, _ = _setup_catalogue(make)
    make.request(buyer_org, title="Teak dining furniture for hotels")
    client.application.test_cli_runner().invoke(args=["rematch"])
    match = _matches(db, product_id=teak.id)[0]
    score = match.score
    match.status, match.score = "curated", 0.001
    db.add(match)
    db.commit()
    client.application.test_cli_runner().invoke(args=["rematch"])
    (stored,) = _matches(db, product_id=teak.id)
    assert (stored.id, stored.status, stored.score) == (match.id, "curated", score)


def test_a_product_lacking_a_required_certification_is_never_matched(client, auth, make, db):
    _, teak, _, _, _ = _setup_catalogue(make)
    importer_org = make.organisation(kind="importer", country="ID")
    producer_org = make.organisation(kind="producer", country="KZ")
    beef = make.product(producer_org, title="Frozen boneless beef", hs_code="020230", certifications=["vet"],
                        unit="t", moq=20, capacity_per_month=200, price_usd=6500)
    halal_beef = make.product(producer_org, title="Halal frozen boneless beef", hs_code="020230",
                              certifications=["halal", "vet"], unit="t", moq=20, capacity_per_month=200,
                              price_usd=6800)
    importer = make.user(importer_org)
    auth.login(importer.email)
    client.post("/requests/new", data={"title": "Daging sapi beku halal tanpa tulang", "hs_code": "",
                                       "required_certifications": "halal", "unit": "t", "quantity": "20",
                                       "language": "id", "publish": "1"})
    product_ids = {m.product_id for m in _matches(db)}
    assert halal_beef.id in product_ids
    assert beef.id not in product_ids


def test_rematch_command_reports_what_it_stored(runner, make):
    _setup_catalogue(make)
    org = make.organisation(kind="buyer", country="KZ")
    make.request(org, title="Teak dining furniture for hotels")
    result = runner.invoke(args=["rematch"])
    assert result.exit_code == 0, result.output
    assert re.search(r"\d+ matches stored for 2 products and 1 requests", result.output)


def test_a_proposal_stored_without_ranks_makes_the_next_save_rematch_everything(runner, make, db, app):
    """Proposals from before matches kept their ranks (found through a partial index): the next
    refresh cannot tell which lists hold them, so it redoes them all and ranks every one."""
    from matchmaker.services import matches

    _, teak, cloth, buyer_org, _ = _setup_catalogue(make)
    request = make.request(buyer_org, title="Teak dining furniture for hotels")
    assert runner.invoke(args=["rematch"]).exit_code == 0
    ranked = {(m.product_id, m.request_id): (m.rank_for_request, m.rank_for_product, m.score) for m in _matches(db)}
    legacy = _matches(db, product_id=teak.id, request_id=request.id)[0]
    legacy.rank_for_request = legacy.rank_for_product = None
    legacy.score = 0.01
    db.add(legacy)
    db.commit()
    with app.app_context():
        assert matches._has_unranked_proposals(db)
        matches.refresh(db, products=[cloth.id])  # a change that does not touch the legacy pair
        assert not matches._has_unranked_proposals(db)
    assert {(m.product_id, m.request_id): (m.rank_for_request, m.rank_for_product, m.score)
            for m in _matches(db)} == ranked


def test_a_request_without_hs_code_is_filed_under_the_sector_its_words_name(client, auth, make, db):
    buyer_org = make.organisation(kind="buyer", country="KZ")
    buyer = make.user(buyer_org)
    auth.login(buyer.email)
    client.post("/requests/new", data={"title": "Платки и хиджабы оптом", "hs_code": "", "unit": "pcs",
                                       "quantity": "20000", "language": "ru", "publish": "1"})
    listing = client.get("/requests/?sector=textiles").get_data(as_text=True)
    assert "Платки и хиджабы оптом" in listing
    assert "Платки и хиджабы оптом" not in client.get("/requests/?sector=other").get_data(as_text=True)


def test_members_see_how_many_matches_each_of_their_items_has(client, auth, make, db):
    exporter, teak, _, buyer_org, _ = _setup_catalogue(make)
    make.request(buyer_org, title="Teak dining furniture for hotels")
    client.application.test_cli_runner().invoke(args=["rematch"])
    count = len(_matches(db, product_id=teak.id))
    auth.login(make.user(exporter).email)
    page = client.get(f"/organisations/{exporter.id}").get_data(as_text=True)
    assert f"{count} match" in page


def test_owner_reads_which_certificate_keeps_relevant_requests_away(client, auth, make):
    fisheries = make.organisation(kind="exporter", country="ID", name="PT Samudra")
    tuna = make.product(fisheries, title="Frozen yellowfin tuna loins", hs_code="030487", certifications=["haccp"],
                        unit="t", moq=5, description="Sashimi grade, CO-free.")
    buyers = [make.organisation(kind="buyer", country="KZ", name=f"ТОО Рыба {i}") for i in range(2)]
    for org, title in zip(buyers, ("Тунец мороженый, филе", "Frozen tuna loins for retail")):
        make.request(org, title=title, hs_code="", unit="t", quantity=10, required_certifications=["vet"])
    make.request(buyers[0], title="Teak chairs for a café", required_certifications=["vet"])  # not relevant

    auth.login(make.user(fisheries).email)
    page = client.get(f"/products/{tuna.id}").get_data(as_text=True)
    assert "2 open requests for yellowfin need Veterinary certificate" in page
    assert "Veterinary health certificate for animal products" in page  # what it means on this corridor
    ru = client.get(f"/products/{tuna.id}?lang=ru").get_data(as_text=True)
    assert "2 открытые заявки на желтоперый тунец требуют «Ветеринарный сертификат»" in ru

    auth.logout()
    assert "open requests for" not in client.get(f"/products/{tuna.id}").get_data(as_text=True)


def test_importer_reads_that_the_law_keeps_non_halal_suppliers_away(client, auth, make):
    producer = make.organisation(kind="producer", country="KZ")
    make.product(producer, title="Frozen boneless beef", hs_code="020230", certifications=["vet"], unit="t", moq=20)
    importer = make.organisation(kind="importer", country="ID")
    request = make.request(importer, title="Daging sapi beku tanpa tulang", hs_code="", unit="t", quantity=20,
                           required_certifications=[])
    auth.login(make.user(importer).email)
    page = client.get(f"/requests/{request.id}").get_data(as_text=True)
    assert "1 supplier of beef lacks Halal, which Indonesian law requires for meat and dairy" in page


def test_every_stored_match_records_the_index_that_scored_it_and_curators_read_it(client, auth, make, db):
    _, teak, cloth, buyer_org, buyer = _setup_catalogue(make)
    auth.login(buyer.email)
    response = client.post("/requests/new", data={
        "title": "Teak dining furniture for hotels", "description": "", "hs_code": "", "unit": "sets",
        "quantity": "120", "language": "en", "publish": "1"})
    request_id = int(re.search(r"/requests/(\d+)", response.headers["Location"]).group(1))
    stored = _matches(db, request_id=request_id)
    from matchmaker.services import index_store
    products = index_store.version(db, "products").fingerprint
    requests = index_store.version(db, "requests").fingerprint
    assert stored and all(m.fingerprint in (products, requests) for m in stored)
    assert products.startswith("20") and len(products) <= 60
    match = next(m for m in stored if m.product_id == teak.id)

    assert "Scored by index" not in client.get(f"/matches/{match.id}").get_data(as_text=True)  # a party
    auth.logout()
    curator = make.user(make.organisation(kind="chamber", country="ID"), role="curator")
    auth.login(curator.email)
    page = client.get(f"/matches/{match.id}").get_data(as_text=True)
    assert f"Scored by index {match.fingerprint}" in page

    # A full recompute fits afresh: the stored matches then name the new index.
    client.application.test_cli_runner().invoke(args=["rematch"])
    refitted = index_store.version(db, "requests").fingerprint
    assert refitted != requests
    assert {m.fingerprint for m in _matches(db, request_id=request_id)} <= {refitted,
                                                                           index_store.version(db, "products").fingerprint}


def test_a_request_page_reads_its_matches_in_the_same_few_queries_however_many_there_are(app, client, auth,
                                                                                         make, db):
    """A buyer's request with 30 proposed suppliers opens as fast as one with 3: the suppliers and
    their organisations are read with the list, not one query per row."""
    from sqlalchemy import event

    buyer = make.organisation(kind="buyer", country="KZ")
    user = make.user(buyer)
    requests = {n: make.request(buyer, title=f"Teak furniture lot {n}") for n in (3, 30)}
    for n, request in requests.items():
        for i in range(n):
            product = make.product(make.organisation(kind="exporter", country="ID"), title=f"Teak chair {n}-{i}")
            db.add(Match(product_id=product.id, request_id=request.id, score=0.5 + i / 100))
    db.commit()
    auth.login(user.email)
    for request in requests.values():  # the first pages fill the process's caches (weights, phrases)
        client.get(f"/requests/{request.id}")
    statements = []
    engine = app.extensions["db_engine"]
    listen = lambda *args: statements.append(args[2])  # noqa: E731 (the statement text)
    event.listen(engine, "before_cursor_execute", listen)
    try:
        counted = {}
        for n, request in requests.items():
            statements.clear()
            page = client.get(f"/requests/{request.id}")
            assert page.status_code == 200 and page.text.count('class="why"') == n
            counted[n] = len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    assert counted[30] == counted[3], counted
