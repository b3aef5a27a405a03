import factory
from factory.django import DjangoModelFactory

from crm.customers.models import (
    Bookmark,
    ClientGroup,
    ClientType,
    Comment,
    Customer,
    Document,
    SalesStatus,
    VerificationLevel,
)
from tests.users.factories import StaffUserFactory, UserFactory

# Smallest valid PDF header for upload tests.
PDF_BYTES = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


class ClientTypeFactory(DjangoModelFactory):
    class Meta:
        model = ClientType
        django_get_or_create = ["name"]

    name = "Individual"
    is_default = True


class VerificationLevelFactory(DjangoModelFactory):
    class Meta:
        model = VerificationLevel
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Level {n}")
    rank = factory.Sequence(int)
    allowed_operations = ["deposit"]


class SalesStatusFactory(DjangoModelFactory):
    class Meta:
        model = SalesStatus
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Status {n}")
    color = "#22c55e"


class ClientGroupFactory(DjangoModelFactory):
    class Meta:
        model = ClientGroup
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Group {n}")


class CustomerFactory(DjangoModelFactory):
    class Meta:
        model = Customer
        skip_postgeneration_save = True

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"client{n}@example.com")
    phone = factory.Sequence(lambda n: f"+447911{n % 1000000:06d}")
    country = "GB"
    currency = "USD"


class DocumentFactory(DjangoModelFactory):
    class Meta:
        model = Document

    customer = factory.SubFactory(CustomerFactory)
    document_type = Document.Type.PASSPORT
    file = factory.django.FileField(filename="passport.pdf", data=PDF_BYTES)
    original_name = "passport.pdf"
    size = len(PDF_BYTES)


class CommentFactory(DjangoModelFactory):
    class Meta:
        model = Comment

    customer = factory.SubFactory(CustomerFactory)
    body = factory.Faker("sentence")


class BookmarkFactory(DjangoModelFactory):
    class Meta:
        model = Bookmark

    customer = factory.SubFactory(CustomerFactory)
    user = factory.SubFactory(StaffUserFactory)


class PortalCustomerFactory(CustomerFactory):
    """A client with a portal login (same email), active and confirmed unless told otherwise."""

    user = factory.SubFactory(UserFactory, email=factory.SelfAttribute("..email"))
    status = Customer.Status.ACTIVE


def bearer(api_client, customer, **claims) -> dict:
    """Log the API client in with a real JWT pair for the customer's user; returns the pair."""
    from crm.users import security

    tokens = security.issue_tokens(customer.user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    return tokens
