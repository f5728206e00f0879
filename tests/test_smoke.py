def test_home_page_shows_what_the_platform_does(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "Indonesia" in response.get_data(as_text=True)


def test_published_product_is_listed_and_draft_is_not(client, make):
    org = make.organisation()
    make.product(org, title="Kursi makan jati solid")
    make.product(org, title="Secret draft sofa", status="draft")
    page = client.get("/products/").get_data(as_text=True)
    assert "Kursi makan jati solid" in page
    assert "Secret draft sofa" not in page
