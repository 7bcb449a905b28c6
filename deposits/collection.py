"""Where a bidder pays from and into: its registered basic account [R26] and the virtual
sub-account (虚拟子账号) of each section it pays a deposit for."""

from __future__ import annotations

import re

from django.conf import settings
from django.db import IntegrityError, transaction

from accounts.models import Organisation, OrganisationKind, Person
from deposits import books
from deposits.models import BasicAccount, SubAccount
from ggzy import clock
from ggzy.errors import DomainError
from ggzy_core import subaccount
from supervision import ledger
from trading.models import Section, SectionStatus

# Deposits are paid while the section takes bids: from publication to the deadline.
TAKING_DEPOSITS = frozenset({SectionStatus.PUBLISHED, SectionStatus.BIDDING})
ACCOUNT_NUMBER = re.compile(r"^[0-9]{8,32}$")


def basic_account_register(
    *, organisation: Organisation, number: str, name: str, bank: str, actor: Person
) -> BasicAccount:
    """Register (or change) the bidder's basic account; cash deposits must come from it
    [R26]. Only the organisation's own administrator may."""
    number = number.replace(" ", "").strip()
    if not ACCOUNT_NUMBER.match(number):
        raise DomainError(
            "基本账户账号应为8至32位数字，请按开户许可证填写 / The basic account number is 8 to "
            "32 digits: copy it from the account licence",
            code="invalid",
            field="number",
        )
    name, bank = name.strip()[:200], bank.strip()[:200]
    if not name or not bank:
        raise DomainError(
            "请填写账户名称和开户银行 / Give the account name and the bank",
            code="invalid",
            field="name" if not name else "bank",
        )
    if organisation.kind != OrganisationKind.BIDDER:
        raise DomainError(
            "只有投标人登记基本账户 / Only bidders register a basic account", code="forbidden"
        )
    with transaction.atomic():
        account, created = BasicAccount.objects.select_for_update().get_or_create(
            organisation=organisation,
            defaults={
                "number": number,
                "name": name,
                "bank": bank,
                "registered_at": clock.now(),
                "registered_by": actor,
            },
        )
        previous = None if created else account.number
        if not created:
            account.number, account.name, account.bank = number, name, bank
            account.registered_at, account.registered_by = clock.now(), actor
            account.save()
        ledger.append(
            "deposits.basic_account.registered",
            actor=actor,
            target=account,
            data={
                "organisation": organisation.credit_code,
                "number": number,
                "previous": previous,
                "bank": bank,
            },
        )
    return account


def sub_account_for(*, section: Section, bidder: Organisation, actor: Person) -> SubAccount:
    """The bidder's sub-account for this section, opened on first asking. Asking is a fact
    about the bidder's intent to bid: its ledger entry is sealed until the deadline."""
    existing = SubAccount.objects.filter(section=section, bidder=bidder).first()
    if existing is not None:
        return existing
    if bidder.kind != OrganisationKind.BIDDER:
        raise DomainError(
            "只有投标人缴纳投标保证金 / Only bidders pay bid deposits", code="forbidden"
        )
    if section.status not in TAKING_DEPOSITS or clock.now() >= section.bid_deadline:
        raise DomainError(
            "该标段当前不收取投标保证金（未发布或已截止）/ This section is not taking deposits "
            "(not published, or past its deadline)",
            code="closed",
        )
    for _attempt in range(5):
        number = subaccount.new_number(settings.DEPOSIT_SUBACCOUNT_PREFIX)
        try:
            with transaction.atomic():
                created = SubAccount.objects.create(
                    number=number, section=section, bidder=bidder, created_at=clock.now()
                )
                # Its account in the books opens with it: the first payment only books.
                books.deposit_account(section, bidder)
                ledger.append(
                    "deposits.sub_account.opened",
                    actor=actor,
                    target=created,
                    data={"section": section.code, "bidder": bidder.credit_code},
                    embargo=section.embargo_scope,
                )
            return created
        except IntegrityError:
            # Another request opened it first, or the random number is taken: look again.
            existing = SubAccount.objects.filter(section=section, bidder=bidder).first()
            if existing is not None:
                return existing
    raise DomainError(
        "暂时无法分配子账号，请稍后重试 / No sub-account number could be given now: try again",
        code="unavailable",
    )
