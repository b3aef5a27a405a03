"""Reading JSON that someone else wrote (request bodies, webhooks, JSON in form fields and settings), within limits.

`json.loads` on a body of nested brackets raises `RecursionError`, which nothing catches: a 100 KB body of
`[[[[...` was a 500 page. `loads` turns it, any nesting deeper than `MAX_DEPTH` and the non-standard constants
(`NaN`, `Infinity`) into `json.JSONDecodeError`, the error every caller already handles as "not valid JSON".
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

# Deeper than any body, webhook or setting of the product; far below the interpreter's recursion limit, so
# code walking a parsed value recursively is safe too.
MAX_DEPTH = 64


def _refuse_constant(name: str) -> Any:
    raise json.JSONDecodeError(f"{name} is not valid JSON", name, 0)


def _deeper_than(value: Any, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children: Iterable[Any]
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def loads(text: str | bytes | bytearray) -> Any:
    """Like `json.loads`, but a body nested deeper than `MAX_DEPTH` is a `json.JSONDecodeError`, never a crash."""
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        value = None
        too_deep = True
    else:
        too_deep = _deeper_than(value, MAX_DEPTH)
    if too_deep:
        raise json.JSONDecodeError(f"nested deeper than {MAX_DEPTH} levels", "", 0)
    return value
