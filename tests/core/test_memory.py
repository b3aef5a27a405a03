import gc

import pytest

from crm.core.memory import old_objects_left_alone


def test_objects_of_the_process_are_frozen_inside_and_given_back_after():
    before = gc.get_freeze_count()

    with old_objects_left_alone():
        inside = gc.get_freeze_count()
        made_inside = [object()]
        frozen_after_making = gc.get_freeze_count()

    assert before == 0
    assert inside > 0
    # What the job makes is not frozen (the count may only drop: a frozen object can still be freed).
    assert frozen_after_making <= inside
    assert gc.get_freeze_count() == 0
    assert made_inside


def test_objects_frozen_by_someone_else_stay_frozen(monkeypatch):
    gc.freeze()
    try:
        calls = []
        monkeypatch.setattr(gc, "freeze", lambda: calls.append("freeze"))
        monkeypatch.setattr(gc, "unfreeze", lambda: calls.append("unfreeze"))

        with old_objects_left_alone():
            pass

        assert calls == []  # neither frozen again nor given back: whoever froze them does that
    finally:
        monkeypatch.undo()
        gc.unfreeze()


def test_objects_are_given_back_when_the_job_fails():
    with pytest.raises(RuntimeError), old_objects_left_alone():
        raise RuntimeError("the job failed")

    assert gc.get_freeze_count() == 0


def test_the_young_generation_is_collected_less_often_inside_and_as_before_after():
    before = gc.get_threshold()

    with old_objects_left_alone():
        inside = gc.get_threshold()

    assert inside[0] >= 50_000
    assert inside[1:] == before[1:]
    assert gc.get_threshold() == before
