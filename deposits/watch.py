"""The sweep's watch over deadlines: an overdue refund is a legal breach [R35, R57], so
staff are alerted before it happens, and when the next year's working days are unknown."""

from __future__ import annotations

import datetime as dt

from django.conf import settings

from deposits import alerts, calendar, refunds
from deposits.models import AlertKind, GuaranteeClaim, Refund, RefundStatus
from ggzy import clock

CLAIM_PATIENCE = dt.timedelta(days=1)


def refund_deadlines() -> int:
    """Raise due-soon and overdue alerts for unpaid refunds; returns how many are open."""
    today = refunds.today()
    open_alerts = 0
    for refund in Refund.objects.exclude(status=RefundStatus.PAID).select_related("section"):
        code = refund.section.code if refund.section else "—"
        if today > refund.due_by:
            kind, words = AlertKind.REFUND_OVERDUE, "已逾期 / is overdue"
        elif calendar.workdays_between(today, refund.due_by) <= settings.REFUND_WARN_DAYS:
            kind, words = AlertKind.REFUND_DUE_SOON, "即将到期 / falls due soon"
        else:
            continue
        open_alerts += 1
        alerts.raise_alert(
            key=f"{kind}:{refund.pk}",
            kind=kind,
            section=refund.section,
            message=(
                f"标段 {code} 的退款 {refund.total} 元（{refund.to_account}）{words}: "
                f"due by {refund.due_by}. "
                f"{refund.last_error or '请在退款页面查看 / see the refunds page'}"
            ),
            evidence={"refund": str(refund.pk), "due_by": str(refund.due_by)},
        )
    return open_alerts


def calendar_coverage() -> bool:
    """From October on, next year's holidays must be known; False (and an alert) if not."""
    today = refunds.today()
    if today.month < 10 or calendar.known(today.year + 1):
        return True
    alerts.raise_alert(
        key=f"calendar_unknown:{today.year + 1}",
        kind=AlertKind.CALENDAR_UNKNOWN,
        message=(
            f"{today.year + 1}年节假日安排尚未录入：请按国务院办公厅通知在“日历”中录入，否则按周一至"
            f"周五计算工作日 / Holidays of {today.year + 1} are unknown: enter the State "
            f"Council's notice under calendar days; until then Monday to Friday count as working "
            f"days"
        ),
    )
    return False


def unanswered_claims() -> int:
    """A claim the issuer has not answered a day after it was first sent (the task's own
    retries are spent, or the issuer refused it) needs a person: alert the centre."""
    stale = GuaranteeClaim.objects.filter(
        answered_at=None, sent_at__lte=clock.now() - CLAIM_PATIENCE
    ).select_related("guarantee__section", "guarantee__issuer")
    for claim in stale:
        guarantee = claim.guarantee
        alerts.raise_alert(
            key=f"claim_unanswered:{claim.key}",
            kind=AlertKind.CLAIM_UNANSWERED,
            section=guarantee.section,
            message=(
                f"保函 {guarantee.number} 的索赔发出一天仍未获 {guarantee.issuer.name} 答复，请联系"
                f"出函机构 / The claim on guarantee {guarantee.number} has had no answer from "
                f"{guarantee.issuer.name} for a day: contact the issuer. "
                f"{claim.last_error}"
            ),
            evidence={"claim": str(claim.key), "attempts": claim.attempts},
        )
    return len(stale)
