"""The catalogue names every event the code emits."""

import ast
import pathlib

from crm.communications.triggers import triggers

ROOT = pathlib.Path(__file__).resolve().parents[2] / "crm"
# Events are named by `emit(...)` or by `event_values(...)` (the ledger writes that row itself).
# Names built at run time, and where: `emit(action, ...)` and f-strings.
DYNAMIC = {
    "document.approved",
    "document.rejected",
    "withdrawal.rejected",
    "withdrawal.cancelled",
    "deposit.refunded",
    "deposit.charged_back",
    "lead.created",
    "lead.updated",
    "lead.status_changed",
    "lead.emailed",
}


def _emitted() -> set[str]:
    names = set()
    for path in ROOT.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            first = node.args[0]
            named = name in ("emit", "event_values", "emit_transaction", "_log") and isinstance(first, ast.Constant)
            if named and isinstance(first.value, str) and ("." in first.value or first.value == "stop_out"):
                names.add(first.value)
    return names


def test_every_emitted_event_is_in_the_catalogue():
    emitted = _emitted()

    assert len(emitted) > 40
    assert emitted - set(triggers()) == set()


def test_the_catalogue_lists_no_event_the_code_never_emits():
    assert set(triggers()) - _emitted() - DYNAMIC == set()
