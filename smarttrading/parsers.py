"""The API's JSON parser: numbers stay exact, and no body can exhaust the stack or the CPU.

A JSON fraction (``190.25``) becomes a ``Decimal`` from its own text, never a binary float,
so the intake's one parser reads ``190.25`` and ``"190.25"`` alike. A body nested deeper than
any request of this API is refused as a parse error (400), before Python's recursion limit
would turn it into a 500; NaN and Infinity are not JSON and are refused too.
"""

from __future__ import annotations

import codecs
import json
from decimal import Decimal

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser, get_encoding

# The deepest request body of this API is a bulk amend: {"orders": [{"exclude_venues": [..]}]}.
MAX_JSON_DEPTH = 16
# Python's own bound on int(text) is 4,300 digits; no quantity or limit needs more than 40 characters.
MAX_NUMBER_CHARS = 64


def _not_json(constant: str):
    raise ValueError(f"{constant} is not a JSON number")


def _exact_fraction(text: str) -> Decimal:
    if len(text) > MAX_NUMBER_CHARS:
        raise ValueError(f"a number of more than {MAX_NUMBER_CHARS} characters")
    return Decimal(text)


def _bounded_int(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS:
        raise ValueError(f"a number of more than {MAX_NUMBER_CHARS} characters")
    return int(text)


def json_depth(value) -> int:
    """How deeply lists and objects nest in ``value``, counted without recursion."""
    deepest, pending = 0, [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > MAX_JSON_DEPTH:
            break
        pending.extend((child, depth + 1) for child in children)
    return deepest


class ExactJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = json.load(
                codecs.getreader(get_encoding(parser_context or {}))(stream),
                parse_float=_exact_fraction,
                parse_int=_bounded_int,
                parse_constant=_not_json,
            )
        except RecursionError as exc:
            raise ParseError(f"JSON parse error - nested more than {MAX_JSON_DEPTH} levels deep") from exc
        except ValueError as exc:  # UnicodeDecodeError and json's JSONDecodeError are ValueErrors
            raise ParseError(f"JSON parse error - {exc}") from exc
        if json_depth(data) > MAX_JSON_DEPTH:
            raise ParseError(f"JSON parse error - nested more than {MAX_JSON_DEPTH} levels deep")
        return data
