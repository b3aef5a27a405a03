import factory
from django.contrib.auth.models import Group
from factory.django import DjangoModelFactory

from crm.users.models import User

DEFAULT_PASSWORD = "correct horse battery staple"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password(DEFAULT_PASSWORD)


class StaffUserFactory(UserFactory):
    email = factory.Sequence(lambda n: f"staff{n}@broker.example")
    is_staff = True

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        """`StaffUserFactory(roles=[Role.SALES_AGENT])` puts the user in those role groups."""
        if create and extracted:
            self.groups.set([Group.objects.get(name=str(role)) for role in extracted])
