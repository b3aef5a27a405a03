import factory
from factory.django import DjangoModelFactory

from crm.core.models import Activity, ExportJob, OutboxEvent
from tests.users.factories import StaffUserFactory


class ActivityFactory(DjangoModelFactory):
    class Meta:
        model = Activity

    action = "customer.updated"
    channel = "admin"
    actor_repr = "someone@broker.example"
    target_repr = factory.Sequence(lambda n: f"#{n} Client")
    target_id = factory.Sequence(str)


class OutboxEventFactory(DjangoModelFactory):
    class Meta:
        model = OutboxEvent

    name = "test.happened"
    payload = factory.Dict({"n": 1})


class ExportJobFactory(DjangoModelFactory):
    class Meta:
        model = ExportJob

    owner = factory.SubFactory(StaffUserFactory)
    source = ExportJob.Source.ADMIN
    target = "core.activity"
    description = "activities"
