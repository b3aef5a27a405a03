import factory
from factory.django import DjangoModelFactory

from crm.communications.models import GroupMessage, Message
from tests.customers.factories import PortalCustomerFactory


class MessageFactory(DjangoModelFactory):
    class Meta:
        model = Message

    customer = factory.SubFactory(PortalCustomerFactory)
    subject = factory.Sequence(lambda n: f"Subject {n}")
    text = "Hello from your broker."


class GroupMessageFactory(DjangoModelFactory):
    class Meta:
        model = GroupMessage

    audience = GroupMessage.Audience.ALL
    subject = factory.Sequence(lambda n: f"News {n}")
    text = "Markets are open."
