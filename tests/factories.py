"""factory-boy factories: organisations with valid credit codes, people, bound keys."""

from __future__ import annotations

import itertools

import factory

from accounts.credit_code import with_check_character
from accounts.models import Organisation, OrganisationKey, OrganisationKind, Person, Role
from ggzy import clock
from ggzy_core.gm import sm2

_serial = itertools.count(1)
TEST_PASSWORD = "correct horse battery staple 9"


def credit_code() -> str:
    return with_check_character(f"91320100MA{next(_serial):07d}")


class OrganisationFactory(factory.django.DjangoModelFactory[Organisation]):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"测试企业{n}有限公司")
    credit_code = factory.LazyFunction(credit_code)
    kind = OrganisationKind.BIDDER
    legal_representative = factory.Sequence(lambda n: f"法人{n}")
    created_at = factory.LazyFunction(clock.now)


class PersonFactory(factory.django.DjangoModelFactory[Person]):
    class Meta:
        model = Person

    username = factory.Sequence(lambda n: f"person{n}")
    display_name = factory.Sequence(lambda n: f"用户{n}")
    organisation = factory.SubFactory(OrganisationFactory)
    role = Role.BIDDER
    password = factory.django.Password(TEST_PASSWORD)


class OrganisationKeyFactory(factory.django.DjangoModelFactory[OrganisationKey]):
    class Meta:
        model = OrganisationKey

    organisation = factory.SubFactory(OrganisationFactory)
    bound_at = factory.LazyFunction(clock.now)

    @factory.lazy_attribute
    def public_key_pem(self) -> str:
        return sm2.generate_private_key().public_key().to_pem().decode()

    @factory.lazy_attribute
    def fingerprint(self) -> str:
        return sm2.load_public_key(self.public_key_pem.encode()).fingerprint()
