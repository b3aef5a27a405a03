import pytest
from django.contrib.auth.models import AnonymousUser

from crm.core.actors import user_or_none
from crm.core.models import Activity
from crm.core.services import record_activity
from tests.users.factories import StaffUserFactory

pytestmark = pytest.mark.django_db


def test_a_logged_in_user_is_the_actor():
    user = StaffUserFactory()

    assert user_or_none(user) is user


@pytest.mark.parametrize("actor", [AnonymousUser(), None], ids=["anonymous", "nobody"])
def test_an_anonymous_caller_or_nobody_is_no_actor(actor):
    assert user_or_none(actor) is None


def test_activity_of_an_anonymous_caller_names_no_actor():
    activity = record_activity(actor=AnonymousUser(), action="test.done")

    assert Activity.objects.get(pk=activity.pk).actor_id is None
