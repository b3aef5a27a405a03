import factory
from factory.django import DjangoModelFactory

from crm.communications.models import EmailMessage, EmailTemplate, GroupMessage, Message
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


class EmailTemplateFactory(DjangoModelFactory):
    class Meta:
        model = EmailTemplate

    title = factory.Sequence(lambda n: f"Template {n}")
    trigger = "deposit.completed"
    subject = "Deposit of {{ amount }} {{ currency }}"
    mjml = (
        "<mjml><mj-body><mj-section><mj-column><mj-text>Hi {{ customer.first_name }}</mj-text>"
        "</mj-column></mj-section></mj-body></mjml>"
    )
    txt = "Hi {{ customer.first_name }}, {{ amount }} {{ currency }} arrived."


class EmailMessageFactory(DjangoModelFactory):
    class Meta:
        model = EmailMessage

    trigger = "deposit.completed"
    to_email = factory.Sequence(lambda n: f"to{n}@example.com")
    language = "en"
    category = EmailTemplate.Category.TRANSACTIONAL
    subject = "Hello"
    text = "Body"
