import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "user,expected",
    [("trader1", "/orders/"), ("supervisor1", "/execution/"), ("analyst1", "/tca/")],
)
def test_home_redirects_by_role(client, users, user, expected):
    client.force_login(users[user])
    assert client.get("/").url == expected


@pytest.mark.parametrize(
    "user,page,status",
    [
        ("trader1", "/orders/", 200),
        ("trader1", "/execution/", 403),
        ("trader1", "/tca/", 403),
        ("analyst1", "/tca/", 200),
        ("analyst1", "/execution/", 403),
        ("supervisor1", "/execution/", 200),
        ("supervisor1", "/tca/", 200),
    ],
)
def test_roles_decide_pages(client, users, user, page, status):
    client.force_login(users[user])
    assert client.get(page).status_code == status


def test_login_page_and_anonymous_redirect(client, demo):
    assert client.get("/accounts/login/").status_code == 200
    assert client.get("/orders/").url.startswith("/accounts/login/")


def test_order_form_accepts_and_reports_field_errors(client, users):
    client.force_login(users["trader1"])
    form = {
        "account": "T1-GROWTH",
        "instrument": "MSFT",
        "side": "SELL",
        "quantity": "250",
        "limit_price": "",
        "strategy": "",
        "urgency": "HIGH",
        "client_order_id": "WEB-1",
    }
    response = client.post("/orders/", form, follow=True)
    assert b"Order WEB-1 accepted" in response.content
    bad = client.post("/orders/", {**form, "client_order_id": "WEB-2", "limit_price": "410.001"})
    assert bad.status_code == 200
    assert b"not a multiple of the tick" in bad.content
