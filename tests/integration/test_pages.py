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
    login = client.get("/accounts/login/")
    assert login.status_code == 200
    assert b'<link rel="icon" type="image/svg+xml" href="/static/favicon.svg">' in login.content
    assert client.get("/orders/").url.startswith("/accounts/login/")


def test_the_overview_lists_every_venue_up_before_any_market_opens(client, users):
    # given: a fresh desk, no market session yet
    client.force_login(users["supervisor1"])

    # when: the supervisor opens the overview
    page = client.get("/execution/").content.decode()

    # then: the venue board has a chip for each of the five venues, each up
    for venue in ("NYSE", "NASDAQ", "BATS", "DARKX", "DARKY"):
        assert f'<span class="venue-chip status-up" data-venue="{venue}"><b>{venue}</b>' in page
    assert "no venue configured" not in page


ORDER_FORM = {
    "account": "T1-GROWTH",
    "instrument": "MSFT",
    "side": "SELL",
    "quantity": "250",
    "limit_price": "",
    "strategy": "",
    "urgency": "HIGH",
}


def test_order_form_accepts_and_reports_field_errors(client, users):
    client.force_login(users["trader1"])
    form = {**ORDER_FORM, "client_order_id": "WEB-1"}
    response = client.post("/orders/", form, follow=True)
    assert b"Order WEB-1 accepted" in response.content
    bad = client.post("/orders/", {**form, "client_order_id": "WEB-2", "limit_price": "410.001"})
    assert bad.status_code == 200
    assert b"not a multiple of the tick" in bad.content
    zero = client.post("/orders/", {**form, "client_order_id": "WEB-3", "limit_price": "0"})
    assert b"A limit price must be above zero; leave it empty for a market order." in zero.content


def test_the_order_form_keeps_the_account_and_instrument_of_the_last_order(client, users):
    # given a trader whose last order was a sell of MSFT for T1-INCOME
    client.force_login(users["trader1"])
    client.post("/orders/", {**ORDER_FORM, "account": "T1-INCOME", "client_order_id": "WEB-K"})

    # when the form comes back for the next order
    form = client.get("/orders/").context["form"]

    # then both are still chosen, and the reference is a new one
    assert (form["account"].value(), form["instrument"].value()) == ("T1-INCOME", "MSFT")
    assert form["client_order_id"].value() != "WEB-K"


def test_the_order_form_says_why_risk_rejected_an_order(client, users, settings):
    settings.RISK_DEFAULTS = {**settings.RISK_DEFAULTS, "max_order_quantity": 200}
    client.force_login(users["trader1"])
    form = {**ORDER_FORM, "client_order_id": "WEB-R"}

    response = client.post("/orders/", form, follow=True)

    assert (
        b'<li class="error">Order WEB-R rejected: quantity 250 exceeds the account&#x27;s maximum of 200</li>'
        in response.content
    )


def test_five_wrong_passwords_lock_that_username_and_that_address_out(client, users):
    for _ in range(4):
        wrong = client.post("/accounts/login/", {"username": "trader1", "password": "wrong"})
        assert wrong.status_code == 200 and b"Wrong username or password" in wrong.content
    assert client.post("/accounts/login/", {"username": "trader1", "password": "wrong"}).status_code == 429

    locked = client.post("/accounts/login/", {"username": "trader1", "password": "smarttrading-demo"})

    assert locked.status_code == 429
    assert b"Too many failed logins" in locked.content
    # the address is locked too, for every username: no spraying one password over many users
    other = client.post("/accounts/login/", {"username": "trader2", "password": "smarttrading-demo"})
    assert other.status_code == 429


def test_the_blotter_pages_and_searches_on_the_server(trader1, users):
    # given 130 orders of trader1's, one of them on MSFT
    from orders.models import Source
    from orders.services.intake import orders_submit

    rows = [
        {"client_order_id": f"PG-{i:03d}", "account": "T1-GROWTH", "instrument": "AAPL", "side": "BUY", "quantity": 100}
        for i in range(129)
    ]
    rows.append(
        {"client_order_id": "ONE-MSFT", "account": "T1-INCOME", "instrument": "MSFT", "side": "SELL", "quantity": 200}
    )
    orders_submit(submitted_by=users["trader1"], rows=rows, source=Source.API, all_or_nothing=True)

    first = trader1.get("/orders/")
    second = trader1.get("/orders/?page=2")
    found = trader1.get("/orders/?q=msft")
    by_id = trader1.get("/orders/?q=PG-12")

    # then the first page holds the newest 100 and follows the stream; the next the rest
    assert [o.client_order_id for o in first.context["page"]][:2] == ["ONE-MSFT", "PG-128"]
    assert len(first.context["page"]) == 100 and b'data-follow="live"' in first.content
    assert len(second.context["page"]) == 30 and b'data-follow="rows"' in second.content
    assert b"page 2 of 2" in second.content and b"\xe2\x86\x90 newer" in second.content
    # and a search finds by instrument or by part of the client id, its rows kept as they are
    assert [o.client_order_id for o in found.context["page"]] == ["ONE-MSFT"]
    assert [o.client_order_id for o in by_id.context["page"]] == [f"PG-12{i}" for i in range(8, -1, -1)]
    assert b'data-follow="rows"' in found.content


def test_server_rendered_quantities_carry_thousands_separators(trader1, supervisor, users):
    from orders.models import Source
    from orders.services.intake import order_create
    from routing.services.aggregation import aggregation_window_run

    order_create(
        submitted_by=users["trader1"],
        account="T1-GROWTH",
        instrument="AAPL",
        side="BUY",
        quantity=150_000,
        client_order_id="BIG-1",
        source=Source.API,
    )
    (parent,) = aggregation_window_run(actor="test")

    panel = supervisor.get(f"/execution/{parent.pk}/").content.decode()
    blotter = supervisor.get("/orders/").content.decode()

    assert "BUY</span> 150,000 AAPL" in panel and '<td class="num">150,000</td>' in panel
    assert '<td class="num">150,000</td>' in blotter
