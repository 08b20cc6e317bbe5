"""The adversary's corpus: every hostile or careless input found against the product, with
the exact answer it must get (a 4xx with its reason, never a 5xx), and one intake's rules
for every channel."""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orders.models import Order

pytestmark = pytest.mark.django_db

ORDER = {"client_order_id": "A-1", "account": "T1-GROWTH", "instrument": "AAPL", "side": "BUY", "quantity": 100}
LIMITS = {
    "max_order_quantity": 1000,
    "max_order_notional": None,
    "collar_pct": None,
    "daily_gross_notional": None,
    "max_orders_per_minute": None,
    "restricted_instruments": [],
}
TOO_DEEP = {"detail": "JSON parse error - nested more than 16 levels deep"}
DATE_RANGE = ["must be between 2000-01-01 and 2099-12-31"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/orders/", "[" * 100_000 + "]" * 100_000),
        ("/api/v1/orders/bulk/", "[" * 100_000 + "]" * 100_000),
        ("/api/v1/orders/bulk/", '{"a":' * 5_000 + "1" + "}" * 5_000),
        ("/api/v1/orders/", '{"a":' * 17 + "1" + "}" * 17),  # deeper than any request, below the recursion limit
    ],
    ids=["array-100k-single", "array-100k-bulk", "object-5k-bulk", "object-17"],
)
def test_deeply_nested_json_is_a_400_not_a_recursion_error(trader1, path, body):
    response = trader1.post(path, body, content_type="application/json")

    assert (response.status_code, response.json()) == (400, TOO_DEEP)


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ('{"quantity": NaN}', "JSON parse error - NaN is not a JSON number"),
        ('{"quantity": Infinity}', "JSON parse error - Infinity is not a JSON number"),
        ('{"quantity": ' + "9" * 100 + "}", "JSON parse error - a number of more than 64 characters"),
        ('{"quantity": 1' + "0" * 100 + ".5}", "JSON parse error - a number of more than 64 characters"),
    ],
)
def test_json_numbers_that_are_not_numbers_or_are_too_long_are_refused_while_parsing(trader1, body, detail):
    response = trader1.post("/api/v1/orders/", body, content_type="application/json")

    assert (response.status_code, response.json()) == (400, {"detail": detail})


@pytest.mark.parametrize(
    ("value", "errors"),
    [
        ("1e999999999999999999", ["A valid integer is required."]),
        ("1e1000000", ["A valid integer is required."]),
        (10**30, ["Ensure this value is less than or equal to 100000000."]),
    ],
)
def test_risk_limits_out_of_any_range_are_field_errors(supervisor, value, errors):
    response = supervisor.put(
        "/api/v1/accounts/T1-GROWTH/risk-limits/", {**LIMITS, "max_order_quantity": value}, format="json"
    )

    assert (response.status_code, response.json()) == (400, {"max_order_quantity": errors})


@pytest.mark.parametrize("value", ["1e999999999999999999", "99999999999999999999999999"])
def test_risk_limit_notionals_beyond_the_column_are_field_errors(supervisor, value):
    response = supervisor.put(
        "/api/v1/accounts/T1-GROWTH/risk-limits/",
        {**LIMITS, "max_order_notional": value, "daily_gross_notional": value},
        format="json",
    )

    reason = ["Ensure that there are no more than 20 digits in total."]
    assert (response.status_code, response.json()) == (
        400,
        {"max_order_notional": reason, "daily_gross_notional": reason},
    )


@pytest.mark.parametrize("start", ["9999-12-31T23:59:59", "0001-01-01T00:00:00"])
def test_bars_from_a_date_out_of_the_calendar_are_a_400(supervisor, start):
    response = supervisor.get(f"/api/v1/instruments/AAPL/bars/?start={start}")

    assert (response.status_code, response.json()) == (400, {"start": DATE_RANGE})


def test_a_desk_report_for_the_year_9999_is_refused_not_failed(analyst):
    response = analyst.post("/api/v1/tca/reports/", {"date_from": "9999-12-31", "date_to": "9999-12-31"}, format="json")

    assert (response.status_code, response.json()) == (400, {"date_from": DATE_RANGE, "date_to": DATE_RANGE})


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ("date_to=9999-12-31", "must be between 2000-01-01 and 2099-12-31"),
        ("date_from=2026-12-02&date_to=2026-12-01", "must not be before From"),
    ],
)
def test_the_tca_page_shows_a_bad_date_filter_as_a_form_error(analyst, query, error):
    response = analyst.get(f"/tca/?{query}")

    assert response.status_code == 200
    assert response.context["form"].errors == {"date_to": [error]}


# --- one intake, every channel -------------------------------------------------------

SAME_RULES = [
    ("limit_price", True, 400, {"limit_price": ["must be text or a number, not true or false"]}),
    ("limit_price", False, 400, {"limit_price": ["must be text or a number, not true or false"]}),
    ("quantity", True, 400, {"quantity": ["must be text or a number, not true or false"]}),
    ("side", ["BUY"], 400, {"side": ["must be text or a number"]}),
    ("account", {"code": "T1-GROWTH"}, 400, {"account": ["must be text or a number"]}),
    ("account", "X" * 129, 400, {"account": ["must be at most 128 characters"]}),
    ("quantity", 100.5, 400, {"quantity": ["must be a positive whole number of shares"]}),
    ("side", "buy", 201, None),
    ("instrument", "aapl", 201, None),
    ("strategy", "twap", 201, None),
    ("urgency", "high", 201, None),
    ("quantity", "1e2", 201, None),
    ("strategy", "IS ", 201, None),
    ("limit_price", 190.25, 201, None),
]


@pytest.mark.parametrize(("field", "value", "status", "errors"), SAME_RULES)
def test_the_single_and_the_bulk_api_accept_and_refuse_the_same_values(trader1, field, value, status, errors):
    single = trader1.post("/api/v1/orders/", {**ORDER, "client_order_id": "S-1", field: value}, format="json")
    bulk = trader1.post("/api/v1/orders/bulk/", [{**ORDER, "client_order_id": "B-1", field: value}], format="json")

    assert single.status_code == status
    if errors is None:
        assert bulk.status_code == 201
        assert bulk.json()["results"][0]["status"] == "CREATED"
        created = Order.objects.get(client_order_id="S-1")
        twin = Order.objects.get(client_order_id="B-1")
        fields = ("side", "quantity", "limit_price", "strategy", "urgency", "instrument_id")
        assert [getattr(created, f) for f in fields] == [getattr(twin, f) for f in fields]
    else:
        assert single.json() == errors
        assert bulk.json()["results"][0]["errors"] == errors
        assert not Order.objects.exists()


def test_a_body_that_is_not_an_object_is_a_field_error(trader1):
    response = trader1.post("/api/v1/orders/", [ORDER], format="json")

    assert (response.status_code, response.json()) == (
        400,
        {"non_field_errors": ["an order is a JSON object of its fields"]},
    )


# --- any JSON to any write endpoint: a 2xx or 4xx, in bounded time ---------------------

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
    | st.sampled_from(["1e999999999999999999", "1e1000000", "NaN", "-0", "00830", "9999-12-31", "BUY", "AAPL"]),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)
ORDER_LIKE = st.fixed_dictionaries({}, optional={key: JSON_VALUES for key in (*ORDER, "limit_price", "urgency")})
WRITE_ENDPOINTS = [
    ("trader1", "/api/v1/orders/"),
    ("trader1", "/api/v1/orders/bulk/"),
    ("trader1", "/api/v1/orders/replace/bulk/"),
    ("trader1", "/api/v1/orders/1/replace/"),
    ("trader1", "/api/v1/orders/1/cancel/"),
    ("supervisor", "/api/v1/accounts/T1-GROWTH/risk-limits/"),
    ("supervisor", "/api/v1/kill-switch/"),
    ("supervisor", "/api/v1/parents/1/resume/"),
    ("analyst", "/api/v1/tca/reports/"),
]


@pytest.mark.parametrize(("who", "path"), WRITE_ENDPOINTS)
def test_any_json_body_to_a_write_endpoint_gets_a_2xx_or_4xx_quickly(request, who, path):
    client = request.getfixturevalue(who)
    method = client.put if path.endswith("risk-limits/") else client.post

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(body=JSON_VALUES | ORDER_LIKE | st.lists(ORDER_LIKE, max_size=3))
    def check(body):
        started = time.perf_counter()
        response = method(path, body, format="json")
        elapsed = time.perf_counter() - started
        assert response.status_code < 500, (body, response.content[:300])
        assert elapsed < 2.0, (body, elapsed)

    check()
