"""FIX to and from the product's terms, without an engine or a database."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from gateway.translate import FIX42, FIX44, Refused, ReportView, execution_report, order_terms, parse

D = {11: "C-1", 1: "T1-GROWTH", 55: "XOM", 54: "2", 38: "500", 40: "2", 44: "104.50", 59: "0"}


def test_a_new_order_single_becomes_intake_columns_with_its_strategy_and_window():
    terms = order_terms(
        {
            **D,
            847: "3",
            849: "0.15",
            168: "20261201-15:00:00",
            126: "20261201-16:30:00.250",
            848: "Urgency=HIGH; ExcludeVenues=NYSE DARKX",
        }
    )
    assert terms == {
        "instrument": "XOM",
        "side": "SELL",
        "quantity": "500",
        "limit_price": "104.50",
        "strategy": "IS",
        "urgency": "HIGH",
        "start_time": "10:00:00",  # 15:00 UTC is 10:00 in New York in December
        "end_time": "11:30:00",
        "max_participation": "0.15",
        "exclude_venues": "NYSE DARKX",
    }


@pytest.mark.parametrize(("ord_type", "limit"), [("1", None), ("2", "104.50")])
@pytest.mark.parametrize(("time_in_force", "strategy"), [("7", "CLOSE"), ("2", "OPEN")])
def test_time_in_force_at_the_close_or_opening_is_a_market_or_limit_auction_order(
    ord_type, limit, time_in_force, strategy
):
    terms = order_terms({**D, 40: ord_type, 59: time_in_force})
    assert (terms["strategy"], terms["limit_price"]) == (strategy, limit)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({40: "3"}, "OrdType must be 1 (market) or 2 (limit)"),
        ({59: "3"}, "TimeInForce must be 0 (day), 2 (at the opening) or 7 (at the close)"),
        ({59: "7", 847: "1"}, "an order at the close (59=7) takes no TargetStrategy (847)"),
        ({59: "2", 847: "1"}, "an order at the open (59=2) takes no TargetStrategy (847)"),
        ({44: ""}, "a limit order (40=2) needs Price (44)"),
        ({54: "5"}, "Side must be 1 (buy) or 2 (sell)"),
        ({847: "9"}, "TargetStrategy (847) must be 1 (VWAP), 2 (POV), 3 (IS) or 1000 (TWAP)"),
        ({848: "Colour=blue"}, "unknown strategy parameter 'Colour' in 848"),
        ({126: "tomorrow"}, "tomorrow is not a UTCTimestamp"),
    ],
)
def test_what_fix_itself_does_not_allow_is_refused_with_the_reason(changes, reason):
    with pytest.raises(Refused, match=reason.replace("(", r"\(").replace(")", r"\)")):
        order_terms({**D, **changes})


def report(**changes) -> ReportView:
    fields = {
        "exec_id": "42",
        "exec_type": "TRADE",
        "order_status": "PARTIALLY_FILLED",
        "order_id": 7,
        "client_order_id": "C-1",
        "orig_client_order_id": "",
        "account": "T1-GROWTH",
        "symbol": "XOM",
        "side": "SELL",
        "order_quantity": 500,
        "limit_price": Decimal("104.500000"),
        "last_quantity": 100,
        "last_price": Decimal("104.510000"),
        "last_market": "NYSE",
        "cum_quantity": 300,
        "leaves_quantity": 200,
        "average_price": Decimal("104.505000"),
        "text": "",
        "at": datetime(2026, 12, 1, 15, 0, 1, 123000, tzinfo=UTC),
    }
    return ReportView(**(fields | changes))


def test_a_fill_report_in_fix44_and_in_fix42():
    msg_type, fields44 = execution_report(report(), begin_string=FIX44, copy=True)
    assert msg_type == "8"
    assert fields44 == [
        (37, "7"), (11, "C-1"), (17, "42"), (150, "F"), (39, "1"), (1, "T1-GROWTH"), (55, "XOM"), (54, "2"),
        (38, "500"), (40, "2"), (44, "104.5"), (32, "100"), (31, "104.51"), (30, "NYSE"), (151, "200"),
        (14, "300"), (6, "104.505"), (60, "20261201-15:00:01.123"), (797, "Y"),
    ]  # fmt: skip
    _, fields42 = execution_report(report(order_status="FILLED"), begin_string=FIX42)
    as42 = dict(fields42)
    assert (as42[20], as42[150], as42[39]) == ("0", "2", "2") and 797 not in as42


def test_a_refused_amend_is_an_order_cancel_reject_and_a_replace_names_the_id_it_replaces():
    msg_type, fields = execution_report(
        report(exec_type="REPLACE_REFUSED", orig_client_order_id="C-1", client_order_id="C-1.1", text="too late"),
        begin_string=FIX44,
    )
    assert msg_type == "9" and dict(fields)[434] == "2" and dict(fields)[41] == "C-1"
    _, replaced = execution_report(report(exec_type="REPLACED", orig_client_order_id="C-1"), begin_string=FIX44)
    assert (dict(replaced)[150], dict(replaced)[41]) == ("5", "C-1")


def test_parse_keeps_fields_in_order():
    assert parse("8=FIX.4.4\x0135=D\x0111=a=b\x01") == [(8, "FIX.4.4"), (35, "D"), (11, "a=b")]


def test_the_store_counts_only_messages_under_sequence_numbers_it_has_counted(tmp_path):
    from gateway.config import stored_exec_ids

    # given: three reports written; the third's sequence number never counted (a crash)
    messages = [f"8=FIX.4.4\x0135=8\x0134={n}\x0117={100 + n}\x0110=000\x01".encode() for n in (1, 2, 3)]
    body, header, offset = b"", [], 0
    for seq, message in enumerate(messages, start=1):
        header.append(f"{seq},{offset},{len(message)}")
        body += message
        offset += len(message)
    (tmp_path / "FIX.4.4-GW-OMS.body").write_bytes(body)
    (tmp_path / "FIX.4.4-GW-OMS.header").write_text(" ".join(header) + " ")
    (tmp_path / "FIX.4.4-GW-OMS.seqnums").write_text("0000000003 : 0000000009")

    # then: the first two will reach the client (sent, or resent on request); the third must go again
    assert stored_exec_ids(tmp_path, "FIX.4.4:GW->OMS") == {"101", "102"}


@pytest.mark.parametrize("begin_string", [FIX44, FIX42])
def test_the_close_is_a_done_for_day_report_with_nothing_left(begin_string):
    done = report(
        exec_type="DONE_FOR_DAY", order_status="DONE_FOR_DAY", last_quantity=0, leaves_quantity=0, text="market closed"
    )

    _, fields = execution_report(done, begin_string=begin_string)

    got = dict(fields)
    assert (got[150], got[39], got[151], got[14], got[58]) == ("3", "3", "0", "300", "market closed")
