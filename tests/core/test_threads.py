import sys

import pytest

from crm.core.threads import SWITCH_INTERVAL, quick_handoffs


def test_the_switch_interval_is_short_inside_and_as_before_after():
    before = sys.getswitchinterval()

    with quick_handoffs():
        inside = sys.getswitchinterval()

    assert inside == SWITCH_INTERVAL < before
    assert sys.getswitchinterval() == before


def test_overlapping_users_give_back_the_interval_when_the_last_one_leaves():
    before = sys.getswitchinterval()

    with quick_handoffs():
        with quick_handoffs():
            pass
        still_inside = sys.getswitchinterval()

    assert still_inside == SWITCH_INTERVAL
    assert sys.getswitchinterval() == before


def test_a_shorter_interval_set_by_someone_else_is_kept():
    before = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL / 2)
    try:
        with quick_handoffs():
            inside = sys.getswitchinterval()

        assert inside == SWITCH_INTERVAL / 2
        assert sys.getswitchinterval() == SWITCH_INTERVAL / 2
    finally:
        sys.setswitchinterval(before)


def test_the_interval_is_given_back_when_the_job_fails():
    before = sys.getswitchinterval()

    with pytest.raises(RuntimeError), quick_handoffs():
        raise RuntimeError("the job failed")

    assert sys.getswitchinterval() == before
