import factory
from factory.django import DjangoModelFactory

from crm.sales.models import AssignmentRule, Lead, LeadComment
from crm.users.models import Desk


class DeskFactory(DjangoModelFactory):
    class Meta:
        model = Desk
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Desk {n}")

    @factory.post_generation
    def members(self, create, extracted, **kwargs):
        """`DeskFactory(members=[agent, ...])`."""
        if create and extracted:
            self.members.set(extracted)


class LeadFactory(DjangoModelFactory):
    class Meta:
        model = Lead

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"lead{n}@example.com")
    phone = factory.Sequence(lambda n: f"+447700{n % 1000000:06d}")
    country = "GB"
    source = "web"


class LeadCommentFactory(DjangoModelFactory):
    class Meta:
        model = LeadComment

    lead = factory.SubFactory(LeadFactory)
    body = factory.Faker("sentence")


class AssignmentRuleFactory(DjangoModelFactory):
    class Meta:
        model = AssignmentRule

    name = factory.Sequence(lambda n: f"Rule {n}")
    desk = factory.SubFactory(DeskFactory)
