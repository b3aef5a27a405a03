from collections import defaultdict

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from crm.core import events
from crm.core.models import HandledEvent, OutboxEvent
from crm.core.tasks import dispatch_event_task, dispatch_pending_events_task
from tests.core.factories import OutboxEventFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def calls(monkeypatch):
    """Registers two handlers for `test.happened` for one test; returns the list of their calls."""
    seen = []
    registry = defaultdict(list)
    monkeypatch.setattr(events, "_handlers", registry)

    @events.handles("test.happened")
    def first(event):
        seen.append(("first", event.pk))

    @events.handles("test.happened")
    def second(event):
        if event.payload.get("fail_second") and not any(name == "second-failed" for name, _ in seen):
            seen.append(("second-failed", event.pk))
            raise RuntimeError("provider down")
        seen.append(("second", event.pk))

    return seen


def test_emit_writes_the_event_in_the_callers_transaction(calls):
    def change_that_fails():
        with transaction.atomic():
            events.emit("test.happened", n=1)
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        change_that_fails()

    assert OutboxEvent.objects.count() == 0
    assert calls == []


def test_emitted_event_is_dispatched_after_commit(calls, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        event = events.emit("test.happened", n=1)

    event.refresh_from_db()
    assert calls == [("first", event.pk), ("second", event.pk)]
    assert event.dispatched_at is not None
    assert event.attempts == 1


def test_handler_runs_once_when_the_event_is_dispatched_twice(calls):
    event = OutboxEventFactory()

    dispatch_event_task(event.pk)
    dispatch_event_task(event.pk)

    assert calls == [("first", event.pk), ("second", event.pk)]
    assert HandledEvent.objects.filter(event=event).count() == 2


def test_failing_handler_is_retried_without_rerunning_the_others(calls):
    event = OutboxEventFactory(payload={"fail_second": True})

    with pytest.raises(events.HandlerFailed):
        events.dispatch_event(event.pk)
    event.refresh_from_db()
    failed_state = (event.dispatched_at, event.attempts, "provider down" in event.last_error)
    events.dispatch_event(event.pk)

    event.refresh_from_db()
    assert failed_state == (None, 1, True)
    assert calls == [("first", event.pk), ("second-failed", event.pk), ("second", event.pk)]
    assert (event.dispatched_at is not None, event.attempts, event.last_error) == (True, 2, "")


def test_sweep_dispatches_events_that_were_never_dispatched(calls, django_capture_on_commit_callbacks):
    waiting = OutboxEventFactory()
    done = OutboxEventFactory()
    events.dispatch_event(done.pk)
    calls.clear()

    with django_capture_on_commit_callbacks(execute=True):
        count = dispatch_pending_events_task()

    waiting.refresh_from_db()
    assert count == 1
    assert calls == [("first", waiting.pk), ("second", waiting.pk)]
    assert waiting.dispatched_at is not None


def test_dispatch_again_admin_action_requeues_undispatched_events(
    admin_client, calls, django_capture_on_commit_callbacks
):
    stuck = OutboxEventFactory(attempts=20, last_error="gave up")
    done = OutboxEventFactory()
    events.dispatch_event(done.pk)
    calls.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:core_outboxevent_changelist"),
            {"action": "dispatch_again", "_selected_action": [stuck.pk, done.pk]},
        )

    stuck.refresh_from_db()
    assert response.status_code == 302
    assert calls == [("first", stuck.pk), ("second", stuck.pk)]
    assert stuck.dispatched_at is not None


def test_outbox_changelist_queries_do_not_grow_with_rows(admin_client, django_assert_max_num_queries):
    OutboxEventFactory.create_batch(2)
    admin_client.get(reverse("admin:core_outboxevent_changelist"))
    with django_assert_max_num_queries(8) as small:
        admin_client.get(reverse("admin:core_outboxevent_changelist"))
    OutboxEventFactory.create_batch(40)
    with django_assert_max_num_queries(8) as large:
        admin_client.get(reverse("admin:core_outboxevent_changelist"))

    assert len(large.captured_queries) == len(small.captured_queries)


def test_failing_handler_in_process_leaves_the_event_for_the_sweep(calls, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        event = events.emit("test.happened", fail_second=True)

    event.refresh_from_db()
    assert event.dispatched_at is None
    assert event.attempts == 1
    assert calls == [("first", event.pk), ("second-failed", event.pk)]

    OutboxEvent.objects.filter(pk=event.pk).update(next_attempt_at=timezone.now())  # its lease has ended
    with django_capture_on_commit_callbacks(execute=True):
        dispatch_pending_events_task()

    event.refresh_from_db()
    assert event.dispatched_at is not None
    assert calls[-1] == ("second", event.pk)
