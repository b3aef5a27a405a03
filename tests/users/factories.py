import factory
from django.contrib.auth.models import Group
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from factory.django import DjangoModelFactory

from crm.core.roles import Role
from crm.users import services
from crm.users.models import ApiToken, User

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


class ApiTokenFactory(factory.Factory):
    """A token made the way the admin makes it (through the service); the raw key is on `token.raw_key`."""

    class Meta:
        model = ApiToken

    name = factory.Sequence(lambda n: f"Integration {n}")
    role = factory.LazyFunction(lambda: Group.objects.get(name=str(Role.SALES_MANAGER)))
    expires_at = None
    allowed_ips = factory.LazyFunction(list)
    actor = None

    @classmethod
    def _create(cls, model_class, **kwargs):
        token, raw_key = services.create_api_token(**kwargs)
        token.raw_key = raw_key
        return token

    @classmethod
    def _build(cls, model_class, **kwargs):
        raise NotImplementedError("API tokens only exist through services.create_api_token: use create().")


class TOTPDeviceFactory(DjangoModelFactory):
    """A confirmed authenticator app; `totp_now(device)` gives its current code."""

    class Meta:
        model = TOTPDevice

    user = factory.SubFactory(StaffUserFactory)
    name = "Authenticator app"
    confirmed = True


def totp_now(device: TOTPDevice) -> str:
    """The code the user's app shows right now."""
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):0{device.digits}d}"


def role(name: Role | str) -> Group:
    """The role group created by migrations."""
    return Group.objects.get(name=str(name))
