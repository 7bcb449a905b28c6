"""Who may see and do what in the award stage: the one access helper for its objects.

- The candidate publicity, the result announcement (winner and price) and the contract's key
  terms are public once the section has them [R54, L45]; the signed publicity JSON too.
- An objection to the result: its bidder's organisation, the tenderee/agency (who answer),
  the centre's staff and the supervising department.
- An award notice: the winner, the tenderee/agency and the overseers; a result notice: its
  bidder, the tenderee/agency and the overseers.
- The contract file: the tenderee/agency, the winner, the centre's staff and the regulator;
  nobody else (404, as for a file that does not exist).

Nothing here exists before the bid deadline: publicity follows the evaluation, so every
page answers 404 for a section without one, whatever its bids.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from accounts.models import Role
from award.models import Award, AwardStatus, Contract, Publicity, ResultNotice, ResultObjection
from award.objections import may_object
from trading import access as trading_access
from trading.models import Section

_MANAGERS_ONLY = (
    "只有招标人/代理机构可以定标、答复异议和备案合同 / Only the tenderee or agency awards, "
    "answers objections and records the contract"
)
_BIDDERS_ONLY = (
    "只有本标段开标的投标人可以对评标结果提出异议；其他利害关系人请向监督部门投诉 [R54, R60] / "
    "Only bidders whose bids were opened in this section may object to the result; other "
    "interested parties complain to the supervising department [R54, R60]"
)


def _organisation_id(user: Any) -> int | None:
    return getattr(user, "organisation_id", None) if user.is_authenticated else None


def is_manager(user: Any, section: Section) -> bool:
    return trading_access.can_manage(user, section.project)


def is_insider(user: Any, section: Section) -> bool:
    """The tenderee's or agency's people and the overseers (centre staff, regulator)."""
    project = section.project
    return trading_access.is_party(user, project) or trading_access.is_overseer(user, project)


def section_with_publicity(user: Any, code: str) -> tuple[Section, Publicity]:
    """A public section whose candidates have been publicized; 404 otherwise."""
    section = trading_access.section_for(user, {"code": code})
    publicity = Publicity.objects.filter(section=section).first()
    if publicity is None:
        raise Http404
    return section, publicity


def section_to_manage(user: Any, code: str) -> tuple[Section, Publicity]:
    section, publicity = section_with_publicity(user, code)
    if not is_insider(user, section):
        raise Http404
    if not is_manager(user, section):
        raise PermissionDenied(_MANAGERS_ONLY)
    return section, publicity


def section_to_object_to(user: Any, code: str) -> tuple[Section, Publicity]:
    section, publicity = section_with_publicity(user, code)
    if not may_object(user, section):
        raise PermissionDenied(_BIDDERS_ONLY)
    return section, publicity


def objections_seen_by(user: Any, section: Section) -> QuerySet[ResultObjection]:
    objections = ResultObjection.objects.filter(section=section).select_related("organisation")
    if is_insider(user, section):
        return objections
    organisation_id = _organisation_id(user)
    if organisation_id is None or getattr(user, "role", "") != Role.BIDDER:
        return objections.none()
    return objections.filter(organisation_id=organisation_id)


def objection_to_answer(user: Any, section: Section, pk: Any) -> ResultObjection:
    try:
        objection = objections_seen_by(user, section).get(pk=pk)
    except (ResultObjection.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
    if not is_manager(user, section):
        raise PermissionDenied(_MANAGERS_ONLY)
    return objection


def award_for(user: Any, section: Section, pk: Any) -> Award:
    """An award notice: the winner, the parties and the overseers."""
    try:
        award = Award.objects.select_related("organisation").get(section=section, pk=pk)
    except (Award.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
    if not (is_insider(user, section) or _organisation_id(user) == award.organisation_id):
        raise Http404
    return award


def notice_for(user: Any, section: Section, pk: Any) -> ResultNotice:
    """A result notice: its bidder, the parties and the overseers."""
    try:
        notice = ResultNotice.objects.select_related("award", "organisation").get(
            award__section=section, pk=pk
        )
    except (ResultNotice.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
    if not (is_insider(user, section) or _organisation_id(user) == notice.organisation_id):
        raise Http404
    return notice


def contract_file_for(user: Any, section: Section) -> Contract:
    """The contract file: the tenderee/agency, the winner, the centre's staff and the
    regulator (the contract itself is not public; its key terms are)."""
    contract = Contract.objects.filter(award__section=section).select_related("award").first()
    if contract is None:
        raise Http404
    if not (is_insider(user, section) or _organisation_id(user) == contract.award.organisation_id):
        raise Http404
    return contract


def sees_contract_file(user: Any, contract: Contract) -> bool:
    section = contract.award.section
    return is_insider(user, section) or _organisation_id(user) == contract.award.organisation_id


def notices_of(user: Any) -> tuple[QuerySet[Award], QuerySet[ResultNotice]]:
    """An organisation's own award notices and result notices (its bidders' page)."""
    organisation_id = _organisation_id(user)
    if organisation_id is None:
        return Award.objects.none(), ResultNotice.objects.none()
    awards = Award.objects.filter(organisation_id=organisation_id).select_related("section")
    notices = ResultNotice.objects.filter(organisation_id=organisation_id).select_related(
        "award__section", "award__organisation"
    )
    return awards.order_by("-issued_at"), notices.order_by("-issued_at")


def public_award(section: Section) -> Award | None:
    """The award announced publicly: the live one (notified or contracted)."""
    return (
        Award.objects.filter(section=section)
        .exclude(status=AwardStatus.DECLINED)
        .select_related("organisation")
        .first()
    )
