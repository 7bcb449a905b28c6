"""The authorization matrix: for every route, every method it answers, every role and the
three stages that change visibility, what the role gets.

Roles, in the order of each cell string (tests/security/world.py):

    anonymous · bidder (of the section; the routes name its bid) · other_bidder (no bid here)
    · tenderee · other_tenderee (another project's) · centre (the hosting centre's staff)
    · regulator · expert · superuser

Stages: before the deadline (three bids in) · opening (the hall's decryption window) ·
closed (the record signed). ``same(x)`` is one cell string for all three.

A  allowed and done (2xx, or a redirect that is not to a login page)
R  the rights let it through; the service refused the request or the stage (400/409/410/422)
D  refused for who is asking (401, 403, or a redirect to a login page)
N  not found (404; for an object, the same answer as for one that does not exist)

A new route fails the suite until it has a row here; a row is a decision, review it as one.
Before the deadline no cell may let anyone but the bidder's organisation learn of its bid
[E21, E27]: see the receipt, upload, withdraw and ledger-entry rows.
"""

from __future__ import annotations

from tests.security import (
    matrix_alerts,
    matrix_archive,
    matrix_award,
    matrix_ceremony,
    matrix_complaints,
    matrix_credit,
    matrix_opendata,
    matrix_portal,
    matrix_transparency,
)
from tests.security.cells import Row, Stages, same

ROWS: dict[str, Row] = {
    "/admin/(?P<url>.*)$": Row({"GET": same("DDDDDNDDN"), "POST": same("DDDDDNDDN")}),
    "/admin/accounts/organisation/<path:object_id>/": Row(
        {
            "DELETE": same("DDDDDADDA"),
            "GET": same("DDDDDADDA"),
            "PATCH": same("DDDDDADDA"),
            "POST": same("DDDDDADDA"),
            "PUT": same("DDDDDADDA"),
        }
    ),
    "/admin/accounts/organisationkey/<path:object_id>/": Row(
        {
            "DELETE": same("DDDDDADDA"),
            "GET": same("DDDDDADDA"),
            "PATCH": same("DDDDDADDA"),
            "POST": same("DDDDDADDA"),
            "PUT": same("DDDDDADDA"),
        }
    ),
    "/admin/accounts/person/<path:object_id>/": Row(
        {
            "DELETE": same("DDDDDADDA"),
            "GET": same("DDDDDADDA"),
            "PATCH": same("DDDDDADDA"),
            "POST": same("DDDDDADDA"),
            "PUT": same("DDDDDADDA"),
        }
    ),
    "/admin/auth/group/<path:object_id>/": Row(
        {
            "DELETE": same("DDDDDADDA"),
            "GET": same("DDDDDADDA"),
            "PATCH": same("DDDDDADDA"),
            "POST": same("DDDDDADDA"),
            "PUT": same("DDDDDADDA"),
        }
    ),
    "/admin/axes/accessattempt/<path:object_id>/": Row(
        {
            "DELETE": same("DDDDDADDA"),
            "GET": same("DDDDDADDA"),
            "PATCH": same("DDDDDADDA"),
            "POST": same("DDDDDADDA"),
            "PUT": same("DDDDDADDA"),
        }
    ),
    "/admin/axes/accessfailurelog/<path:object_id>/": Row(
        {
            "DELETE": same("DDDDDADDA"),
            "GET": same("DDDDDADDA"),
            "PATCH": same("DDDDDADDA"),
            "POST": same("DDDDDADDA"),
            "PUT": same("DDDDDADDA"),
        }
    ),
    "/admin/axes/accesslog/<path:object_id>/": Row(
        {
            "DELETE": same("DDDDDADDA"),
            "GET": same("DDDDDADDA"),
            "PATCH": same("DDDDDADDA"),
            "POST": same("DDDDDADDA"),
            "PUT": same("DDDDDADDA"),
        }
    ),
    "/admin/deposits/alert/<path:object_id>/": Row(
        {
            "DELETE": same("DDDDDADDA"),
            "GET": same("DDDDDADDA"),
            "PATCH": same("DDDDDADDA"),
            "POST": same("DDDDDADDA"),
            "PUT": same("DDDDDADDA"),
        }
    ),
    "/admin/deposits/bankline/<path:object_id>/": Row(
        {
            "DELETE": same("DDDDDADDA"),
            "GET": same("DDDDDADDA"),
            "PATCH": same("DDDDDADDA"),
            "POST": same("DDDDDADDA"),
            "PUT": same("DDDDDADDA"),
        }
    ),
    "/admin/deposits/basicaccount/<path:object_id>/": Row(
        {
            "DELETE": same("DDDDDADDA"),
            "GET": same("DDDDDADDA"),
            "PATCH": same("DDDDDADDA"),
            "POST": same("DDDDDADDA"),
            "PUT": same("DDDDDADDA"),
        }
    ),
    "/admin/deposits/bookaccount/<path:object_id>/": Row(
        {
            "DELETE": same("DDDDDADDA"),
            "GET": same("DDDDDADDA"),
            "PATCH": same("DDDDDADDA"),
            "POST": same("DDDDDADDA"),
            "PUT": same("DDDDDADDA"),
        }
    ),
    "/admin/deposits/booktransaction/<path:object_id>/": Row(
        {
            "DELETE": same("DDDDDADDA"),
            "GET": same("DDDDDADDA"),
            "PATCH": same("DDDDDADDA"),
            "POST": same("DDDDDADDA"),
            "PUT": same("DDDDDADDA"),
        }
    ),
    "/admin/deposits/calendarday/<path:object_id>/": Row(
        {
            "DELETE": same("DDDDDADDA"),
            "GET": same("DDDDDADDA"),
            "PATCH": same("DDDDDADDA"),
            "POST": same("DDDDDADDA"),
            "PUT": same("DDDDDADDA"),
        }
    ),
    "/admin/deposits/forfeiture/<path:object_id>/": Row(
        {
            "DELETE": same("DDDDDADDA"),
            "GET": same("DDDDDADDA"),
            "PATCH": same("DDDDDADDA"),
            "POST": same("DDDDDADDA"),
            "PUT": same("DDDDDADDA"),
        }
    ),
    "/admin/deposits/guarantee/<path:object_id>/": Row(
        {
            "DELETE": same("DDDDDADDA"),
            "GET": same("DDDDDADDA"),
            "PATCH": same("DDDDDADDA"),
            "POST": same("DDDDDADDA"),
            "PUT": same("DDDDDADDA"),
        }
    ),
    "/admin/deposits/guaranteeclaim/<path:object_id>/": Row(
        {
            "DELETE": same("DDDDDADDA"),
            "GET": same("DDDDDADDA"),
            "PATCH": same("DDDDDADDA"),
            "POST": same("DDDDDADDA"),
            "PUT": same("DDDDDADDA"),
        }
    ),
    "/admin/deposits/interestrate/<path:object_id>/": Row(
        {
            "DELETE": same("DDDDDADDA"),
            "GET": same("DDDDDADDA"),
            "PATCH": same("DDDDDADDA"),
            "POST": same("DDDDDADDA"),
            "PUT": same("DDDDDADDA"),
        }
    ),
    "/admin/deposits/issuer/<path:object_id>/": Row(
        {
            "DELETE": same("DDDDDADDA"),
            "GET": same("DDDDDADDA"),
            "PATCH": same("DDDDDADDA"),
            "POST": same("DDDDDADDA"),
            "PUT": same("DDDDDADDA"),
        }
    ),
    "/admin/deposits/refund/<path:object_id>/": Row(
        {
            "DELETE": same("DDDDDADDA"),
            "GET": same("DDDDDADDA"),
            "PATCH": same("DDDDDADDA"),
            "POST": same("DDDDDADDA"),
            "PUT": same("DDDDDADDA"),
        }
    ),
    "/admin/deposits/subaccount/<path:object_id>/": Row(
        {
            "DELETE": same("DDDDDADDA"),
            "GET": same("DDDDDADDA"),
            "PATCH": same("DDDDDADDA"),
            "POST": same("DDDDDADDA"),
            "PUT": same("DDDDDADDA"),
        }
    ),
    "/admin/knox/authtoken/<path:object_id>/": Row(
        {
            "DELETE": same("DDDDDADDA"),
            "GET": same("DDDDDADDA"),
            "PATCH": same("DDDDDADDA"),
            "POST": same("DDDDDADDA"),
            "PUT": same("DDDDDADDA"),
        }
    ),
    "/admin/supervision/ledgercheckpoint/<path:object_id>/": Row(
        {
            "DELETE": same("DDDDDADDA"),
            "GET": same("DDDDDADDA"),
            "PATCH": same("DDDDDADDA"),
            "POST": same("DDDDDADDA"),
            "PUT": same("DDDDDADDA"),
        }
    ),
    "/admin/supervision/ledgerentry/<path:object_id>/": Row(
        {
            "DELETE": same("DDDDDADDA"),
            "GET": same("DDDDDADDA"),
            "PATCH": same("DDDDDADDA"),
            "POST": same("DDDDDADDA"),
            "PUT": same("DDDDDADDA"),
        }
    ),
    "accounts:dashboard": Row({"GET": same("DAAAAAAAA"), "POST": same("DAAAAAAAA")}),
    # The workbench's panels (htmx): each person's own, every role (bidders their own bids
    # only; nothing else depends on bids before the deadline: test_nothing_before_…).
    "accounts:workbench_panels": Row({"GET": same("DAAAAAAAA")}),
    "accounts:key_retire": Row({"POST": same("DANNNDDNA")}),
    "accounts:keys": Row({"GET": same("DANNNAANA"), "POST": same("DANNNDDNA")}),
    "accounts:login": Row(
        {
            "GET": same("AAAAAAAAA"),
            "POST": same("AAAAAAAAA"),
            "PUT": same("AAAAAAAAA"),
        }
    ),
    "accounts:logout": Row({"POST": same("AAAAAAAAA")}),
    "accounts:organisation_edit": Row({"GET": same("DANNNDDNA"), "POST": same("DANNNDDNA")}),
    "accounts:people": Row({"GET": same("DANNNAANA"), "POST": same("DANNNDDNA")}),
    "accounts:person_deactivate": Row({"POST": same("DANNNDDNA")}),
    "accounts:register": Row({"GET": same("AAAAAAAAA"), "POST": same("AAAAAAAAA")}),
    "accounts:tokens": Row({"GET": same("DAAAAAAAA"), "POST": same("DAAAAAAAA")}),
    # accounts: second factor
    # Only experts set up an authenticator and verify a session with it (403 with why for
    # everyone else, the superuser included; anonymous to the login page). The world's expert
    # has an authenticator and passed it: set-up sends them to verify instead (a second
    # device is not set up through the page), an empty code is a form error.
    "accounts:second_factor_enrol": Row({"GET": same("DDDDDDDDD"), "POST": same("DDDDDDDDD")}),
    "accounts:second_factor_verify": Row({"GET": same("DDDDDDDAD"), "POST": same("DDDDDDDAD")}),
    "admin:accounts_organisation_add": Row({"GET": same("DDDDDDDDD"), "POST": same("DDDDDDDDD")}),
    "admin:accounts_organisation_change": Row(
        {
            "GET": same("DDDDDADDA"),
            "POST": same("DDDDDADDA"),
        }
    ),
    "admin:accounts_organisation_changelist": Row(
        {
            "GET": same("DDDDDADDA"),
            "POST": same("DDDDDADDA"),
        }
    ),
    "admin:accounts_organisation_delete": Row(
        {
            "GET": same("DDDDDDDDD"),
            "POST": same("DDDDDDDDD"),
        }
    ),
    "admin:accounts_organisation_history": Row(
        {
            "GET": same("DDDDDADDA"),
            "POST": same("DDDDDADDA"),
        }
    ),
    "admin:accounts_organisationkey_add": Row(
        {
            "GET": same("DDDDDDDDD"),
            "POST": same("DDDDDDDDD"),
        }
    ),
    "admin:accounts_organisationkey_change": Row(
        {
            "GET": same("DDDDDADDA"),
            "POST": same("DDDDDDDDA"),
        }
    ),
    "admin:accounts_organisationkey_changelist": Row(
        {
            "GET": same("DDDDDADDA"),
            "POST": same("DDDDDADDA"),
        }
    ),
    "admin:accounts_organisationkey_delete": Row(
        {
            "GET": same("DDDDDDDDD"),
            "POST": same("DDDDDDDDD"),
        }
    ),
    "admin:accounts_organisationkey_history": Row(
        {
            "GET": same("DDDDDADDA"),
            "POST": same("DDDDDADDA"),
        }
    ),
    "admin:accounts_person_add": Row({"GET": same("DDDDDDDDD"), "POST": same("DDDDDDDDD")}),
    "admin:accounts_person_change": Row({"GET": same("DDDDDADDA"), "POST": same("DDDDDADDA")}),
    "admin:accounts_person_changelist": Row({"GET": same("DDDDDADDA"), "POST": same("DDDDDADDA")}),
    "admin:accounts_person_delete": Row({"GET": same("DDDDDDDDD"), "POST": same("DDDDDDDDD")}),
    "admin:accounts_person_history": Row({"GET": same("DDDDDADDA"), "POST": same("DDDDDADDA")}),
    "admin:app_list": Row({"GET": same("DDDDDADDA"), "POST": same("DDDDDADDA")}),
    "admin:auth_group_add": Row({"GET": same("DDDDDDDDA"), "POST": same("DDDDDDDDA")}),
    "admin:auth_group_change": Row({"GET": same("DDDDDDDDA"), "POST": same("DDDDDDDDA")}),
    "admin:auth_group_changelist": Row({"GET": same("DDDDDDDDA"), "POST": same("DDDDDDDDA")}),
    "admin:auth_group_delete": Row({"GET": same("DDDDDDDDA"), "POST": same("DDDDDDDDA")}),
    "admin:auth_group_history": Row({"GET": same("DDDDDDDDA"), "POST": same("DDDDDDDDA")}),
    "admin:auth_user_password_change": Row({"GET": same("DDDDDDDDA"), "POST": same("DDDDDDDDA")}),
    "admin:autocomplete": Row({"GET": same("DDDDDDDDD")}),
    "admin:axes_accessattempt_add": Row({"GET": same("DDDDDDDDD"), "POST": same("DDDDDDDDD")}),
    "admin:axes_accessattempt_change": Row({"GET": same("DDDDDDDDA"), "POST": same("DDDDDDDDA")}),
    "admin:axes_accessattempt_changelist": Row(
        {
            "GET": same("DDDDDDDDA"),
            "POST": same("DDDDDDDDA"),
        }
    ),
    "admin:axes_accessattempt_delete": Row({"GET": same("DDDDDDDDA"), "POST": same("DDDDDDDDA")}),
    "admin:axes_accessattempt_history": Row({"GET": same("DDDDDDDDA"), "POST": same("DDDDDDDDA")}),
    "admin:axes_accessfailurelog_add": Row({"GET": same("DDDDDDDDD"), "POST": same("DDDDDDDDD")}),
    "admin:axes_accessfailurelog_change": Row(
        {
            "GET": same("DDDDDDDDA"),
            "POST": same("DDDDDDDDA"),
        }
    ),
    "admin:axes_accessfailurelog_changelist": Row(
        {
            "GET": same("DDDDDDDDA"),
            "POST": same("DDDDDDDDA"),
        }
    ),
    "admin:axes_accessfailurelog_delete": Row(
        {
            "GET": same("DDDDDDDDA"),
            "POST": same("DDDDDDDDA"),
        }
    ),
    "admin:axes_accessfailurelog_history": Row(
        {
            "GET": same("DDDDDDDDA"),
            "POST": same("DDDDDDDDA"),
        }
    ),
    "admin:axes_accesslog_add": Row({"GET": same("DDDDDDDDD"), "POST": same("DDDDDDDDD")}),
    "admin:axes_accesslog_change": Row({"GET": same("DDDDDDDDA"), "POST": same("DDDDDDDDA")}),
    "admin:axes_accesslog_changelist": Row({"GET": same("DDDDDDDDA"), "POST": same("DDDDDDDDA")}),
    "admin:axes_accesslog_delete": Row({"GET": same("DDDDDDDDA"), "POST": same("DDDDDDDDA")}),
    "admin:axes_accesslog_history": Row({"GET": same("DDDDDDDDA"), "POST": same("DDDDDDDDA")}),
    # Deposits in admin (deposits/admin.py): read-only but for the interest rates and the
    # calendar days, which go through deposits.reference_data. A row of a section is not
    # found before its deadline, by anyone [E21, E27]; the world has no guarantee claim.
    "admin:deposits_alert_add": Row({"GET": same("DDDDDDDDD"), "POST": same("DDDDDDDDD")}),
    "admin:deposits_alert_change": Row(
        {"GET": ("DDDDDNDDN", "DDDDDADDA", "DDDDDADDA"), "POST": same("DDDDDDDDD")}
    ),
    "admin:deposits_alert_changelist": Row({"GET": same("DDDDDADDA"), "POST": same("DDDDDADDA")}),
    "admin:deposits_alert_delete": Row({"GET": same("DDDDDDDDD"), "POST": same("DDDDDDDDD")}),
    "admin:deposits_alert_history": Row(
        {
            "GET": ("DDDDDNDDN", "DDDDDADDA", "DDDDDADDA"),
            "POST": ("DDDDDNDDN", "DDDDDADDA", "DDDDDADDA"),
        }
    ),
    "admin:deposits_bankline_add": Row({"GET": same("DDDDDDDDD"), "POST": same("DDDDDDDDD")}),
    "admin:deposits_bankline_change": Row(
        {"GET": ("DDDDDNDDN", "DDDDDADDA", "DDDDDADDA"), "POST": same("DDDDDDDDD")}
    ),
    "admin:deposits_bankline_changelist": Row(
        {"GET": same("DDDDDADDA"), "POST": same("DDDDDADDA")}
    ),
    "admin:deposits_bankline_delete": Row({"GET": same("DDDDDDDDD"), "POST": same("DDDDDDDDD")}),
    "admin:deposits_bankline_history": Row(
        {
            "GET": ("DDDDDNDDN", "DDDDDADDA", "DDDDDADDA"),
            "POST": ("DDDDDNDDN", "DDDDDADDA", "DDDDDADDA"),
        }
    ),
    "admin:deposits_basicaccount_add": Row({"GET": same("DDDDDDDDD"), "POST": same("DDDDDDDDD")}),
    "admin:deposits_basicaccount_change": Row(
        {"GET": same("DDDDDADDA"), "POST": same("DDDDDDDDD")}
    ),
    "admin:deposits_basicaccount_changelist": Row(
        {"GET": same("DDDDDADDA"), "POST": same("DDDDDADDA")}
    ),
    "admin:deposits_basicaccount_delete": Row(
        {"GET": same("DDDDDDDDD"), "POST": same("DDDDDDDDD")}
    ),
    "admin:deposits_basicaccount_history": Row(
        {"GET": same("DDDDDADDA"), "POST": same("DDDDDADDA")}
    ),
    "admin:deposits_bookaccount_add": Row({"GET": same("DDDDDDDDD"), "POST": same("DDDDDDDDD")}),
    "admin:deposits_bookaccount_change": Row(
        {"GET": ("DDDDDNDDN", "DDDDDADDA", "DDDDDADDA"), "POST": same("DDDDDDDDD")}
    ),
    "admin:deposits_bookaccount_changelist": Row(
        {"GET": same("DDDDDADDA"), "POST": same("DDDDDADDA")}
    ),
    "admin:deposits_bookaccount_delete": Row({"GET": same("DDDDDDDDD"), "POST": same("DDDDDDDDD")}),
    "admin:deposits_bookaccount_history": Row(
        {
            "GET": ("DDDDDNDDN", "DDDDDADDA", "DDDDDADDA"),
            "POST": ("DDDDDNDDN", "DDDDDADDA", "DDDDDADDA"),
        }
    ),
    "admin:deposits_booktransaction_add": Row(
        {"GET": same("DDDDDDDDD"), "POST": same("DDDDDDDDD")}
    ),
    "admin:deposits_booktransaction_change": Row(
        {"GET": ("DDDDDNDDN", "DDDDDADDA", "DDDDDADDA"), "POST": same("DDDDDDDDD")}
    ),
    "admin:deposits_booktransaction_changelist": Row(
        {"GET": same("DDDDDADDA"), "POST": same("DDDDDADDA")}
    ),
    "admin:deposits_booktransaction_delete": Row(
        {"GET": same("DDDDDDDDD"), "POST": same("DDDDDDDDD")}
    ),
    "admin:deposits_booktransaction_history": Row(
        {
            "GET": ("DDDDDNDDN", "DDDDDADDA", "DDDDDADDA"),
            "POST": ("DDDDDNDDN", "DDDDDADDA", "DDDDDADDA"),
        }
    ),
    "admin:deposits_calendarday_add": Row({"GET": same("DDDDDADDA"), "POST": same("DDDDDADDA")}),
    "admin:deposits_calendarday_change": Row({"GET": same("DDDDDADDA"), "POST": same("DDDDDADDA")}),
    "admin:deposits_calendarday_changelist": Row(
        {"GET": same("DDDDDADDA"), "POST": same("DDDDDADDA")}
    ),
    "admin:deposits_calendarday_delete": Row({"GET": same("DDDDDADDA"), "POST": same("DDDDDADDA")}),
    "admin:deposits_calendarday_history": Row(
        {"GET": same("DDDDDADDA"), "POST": same("DDDDDADDA")}
    ),
    "admin:deposits_forfeiture_add": Row({"GET": same("DDDDDDDDD"), "POST": same("DDDDDDDDD")}),
    "admin:deposits_forfeiture_change": Row(
        {"GET": ("DDDDDNDDN", "DDDDDADDA", "DDDDDADDA"), "POST": same("DDDDDDDDD")}
    ),
    "admin:deposits_forfeiture_changelist": Row(
        {"GET": same("DDDDDADDA"), "POST": same("DDDDDADDA")}
    ),
    "admin:deposits_forfeiture_delete": Row({"GET": same("DDDDDDDDD"), "POST": same("DDDDDDDDD")}),
    "admin:deposits_forfeiture_history": Row(
        {
            "GET": ("DDDDDNDDN", "DDDDDADDA", "DDDDDADDA"),
            "POST": ("DDDDDNDDN", "DDDDDADDA", "DDDDDADDA"),
        }
    ),
    "admin:deposits_guarantee_add": Row({"GET": same("DDDDDDDDD"), "POST": same("DDDDDDDDD")}),
    "admin:deposits_guarantee_change": Row(
        {"GET": ("DDDDDNDDN", "DDDDDADDA", "DDDDDADDA"), "POST": same("DDDDDDDDD")}
    ),
    "admin:deposits_guarantee_changelist": Row(
        {"GET": same("DDDDDADDA"), "POST": same("DDDDDADDA")}
    ),
    "admin:deposits_guarantee_delete": Row({"GET": same("DDDDDDDDD"), "POST": same("DDDDDDDDD")}),
    "admin:deposits_guarantee_history": Row(
        {
            "GET": ("DDDDDNDDN", "DDDDDADDA", "DDDDDADDA"),
            "POST": ("DDDDDNDDN", "DDDDDADDA", "DDDDDADDA"),
        }
    ),
    "admin:deposits_guaranteeclaim_add": Row({"GET": same("DDDDDDDDD"), "POST": same("DDDDDDDDD")}),
    "admin:deposits_guaranteeclaim_change": Row(
        {"GET": same("DDDDDNDDN"), "POST": same("DDDDDDDDD")}
    ),
    "admin:deposits_guaranteeclaim_changelist": Row(
        {"GET": same("DDDDDADDA"), "POST": same("DDDDDADDA")}
    ),
    "admin:deposits_guaranteeclaim_delete": Row(
        {"GET": same("DDDDDDDDD"), "POST": same("DDDDDDDDD")}
    ),
    "admin:deposits_guaranteeclaim_history": Row(
        {"GET": same("DDDDDNDDN"), "POST": same("DDDDDNDDN")}
    ),
    "admin:deposits_interestrate_add": Row({"GET": same("DDDDDADDA"), "POST": same("DDDDDADDA")}),
    "admin:deposits_interestrate_change": Row(
        {"GET": same("DDDDDADDA"), "POST": same("DDDDDADDA")}
    ),
    "admin:deposits_interestrate_changelist": Row(
        {"GET": same("DDDDDADDA"), "POST": same("DDDDDADDA")}
    ),
    "admin:deposits_interestrate_delete": Row(
        {"GET": same("DDDDDADDA"), "POST": same("DDDDDADDA")}
    ),
    "admin:deposits_interestrate_history": Row(
        {"GET": same("DDDDDADDA"), "POST": same("DDDDDADDA")}
    ),
    "admin:deposits_issuer_add": Row({"GET": same("DDDDDDDDD"), "POST": same("DDDDDDDDD")}),
    "admin:deposits_issuer_change": Row({"GET": same("DDDDDADDA"), "POST": same("DDDDDDDDD")}),
    "admin:deposits_issuer_changelist": Row({"GET": same("DDDDDADDA"), "POST": same("DDDDDADDA")}),
    "admin:deposits_issuer_delete": Row({"GET": same("DDDDDDDDD"), "POST": same("DDDDDDDDD")}),
    "admin:deposits_issuer_history": Row({"GET": same("DDDDDADDA"), "POST": same("DDDDDADDA")}),
    "admin:deposits_refund_add": Row({"GET": same("DDDDDDDDD"), "POST": same("DDDDDDDDD")}),
    "admin:deposits_refund_change": Row(
        {"GET": ("DDDDDNDDN", "DDDDDADDA", "DDDDDADDA"), "POST": same("DDDDDDDDD")}
    ),
    "admin:deposits_refund_changelist": Row({"GET": same("DDDDDADDA"), "POST": same("DDDDDADDA")}),
    "admin:deposits_refund_delete": Row({"GET": same("DDDDDDDDD"), "POST": same("DDDDDDDDD")}),
    "admin:deposits_refund_history": Row(
        {
            "GET": ("DDDDDNDDN", "DDDDDADDA", "DDDDDADDA"),
            "POST": ("DDDDDNDDN", "DDDDDADDA", "DDDDDADDA"),
        }
    ),
    "admin:deposits_subaccount_add": Row({"GET": same("DDDDDDDDD"), "POST": same("DDDDDDDDD")}),
    "admin:deposits_subaccount_change": Row(
        {"GET": ("DDDDDNDDN", "DDDDDADDA", "DDDDDADDA"), "POST": same("DDDDDDDDD")}
    ),
    "admin:deposits_subaccount_changelist": Row(
        {"GET": same("DDDDDADDA"), "POST": same("DDDDDADDA")}
    ),
    "admin:deposits_subaccount_delete": Row({"GET": same("DDDDDDDDD"), "POST": same("DDDDDDDDD")}),
    "admin:deposits_subaccount_history": Row(
        {
            "GET": ("DDDDDNDDN", "DDDDDADDA", "DDDDDADDA"),
            "POST": ("DDDDDNDDN", "DDDDDADDA", "DDDDDADDA"),
        }
    ),
    "admin:index": Row({"GET": same("DDDDDADDA"), "POST": same("DDDDDADDA")}),
    "admin:jsi18n": Row({"GET": same("DDDDDADDA")}),
    "admin:knox_authtoken_add": Row({"GET": same("DDDDDDDDA"), "POST": same("DDDDDDDDA")}),
    "admin:knox_authtoken_change": Row({"GET": same("DDDDDDDDA"), "POST": same("DDDDDDDDA")}),
    "admin:knox_authtoken_changelist": Row({"GET": same("DDDDDDDDA"), "POST": same("DDDDDDDDA")}),
    "admin:knox_authtoken_delete": Row({"GET": same("DDDDDDDDA"), "POST": same("DDDDDDDDA")}),
    "admin:knox_authtoken_history": Row({"GET": same("DDDDDDDDA"), "POST": same("DDDDDDDDA")}),
    "admin:login": Row({"GET": same("AAAAAAAAA"), "POST": same("AAAAAAAAA")}),
    "admin:logout": Row({"POST": same("AAAAAAAAA")}),
    "admin:password_change": Row({"GET": same("DDDDDADDA"), "POST": same("DDDDDADDA")}),
    "admin:password_change_done": Row({"GET": same("DDDDDADDA")}),
    "admin:supervision_ledgercheckpoint_add": Row(
        {
            "GET": same("DDDDDDDDD"),
            "POST": same("DDDDDDDDD"),
        }
    ),
    "admin:supervision_ledgercheckpoint_change": Row(
        {
            "GET": same("DDDDDADDA"),
            "POST": same("DDDDDDDDD"),
        }
    ),
    "admin:supervision_ledgercheckpoint_changelist": Row(
        {
            "GET": same("DDDDDADDA"),
            "POST": same("DDDDDADDA"),
        }
    ),
    "admin:supervision_ledgercheckpoint_delete": Row(
        {
            "GET": same("DDDDDDDDD"),
            "POST": same("DDDDDDDDD"),
        }
    ),
    "admin:supervision_ledgercheckpoint_history": Row(
        {
            "GET": same("DDDDDADDA"),
            "POST": same("DDDDDADDA"),
        }
    ),
    "admin:supervision_ledgerentry_add": Row({"GET": same("DDDDDDDDD"), "POST": same("DDDDDDDDD")}),
    # The embargoed entry (the bid received) is not found before the deadline [E21].
    "admin:supervision_ledgerentry_change": Row(
        {
            "GET": ("DDDDDNDDN", "DDDDDADDA", "DDDDDADDA"),
            "POST": same("DDDDDDDDD"),
        }
    ),
    "admin:supervision_ledgerentry_changelist": Row(
        {
            "GET": same("DDDDDADDA"),
            "POST": same("DDDDDADDA"),
        }
    ),
    "admin:supervision_ledgerentry_delete": Row(
        {
            "GET": same("DDDDDDDDD"),
            "POST": same("DDDDDDDDD"),
        }
    ),
    # Likewise its history.
    "admin:supervision_ledgerentry_history": Row(
        {
            "GET": ("DDDDDNDDN", "DDDDDADDA", "DDDDDADDA"),
            "POST": ("DDDDDNDDN", "DDDDDADDA", "DDDDDADDA"),
        }
    ),
    "admin:view_on_site": Row({"GET": same("DDDDDNDDN"), "POST": same("DDDDDNDDN")}),
    "api:bids": Row({"GET": same("DAAAAAAAA")}),
    "api:docs": Row({"GET": same("AAAAAAAAA")}),
    # Issuers authenticate by an SM2-signed request, not as people: a session or token is
    # not an issuer, whoever holds it (docs/guarantees.md).
    "api:guarantees": Row({"POST": same("DDDDDDDDD")}),
    "api:guarantee-revoke": Row({"POST": same("DDDDDDDDD")}),
    # Public, but only with a guarantee's number and code: anything else is the same 404.
    "api:guarantee-verify": Row({"GET": same("NNNNNNNNN")}),
    "api:hall": Row({"GET": same("AAAAAAAAA")}),
    "api:hall-advance": Row({"POST": same("DDDDDRDDR")}),
    "api:hall-answer": Row({"POST": same("DRRRRRRRR")}),
    # Before the deadline there is nothing to decrypt: not found, even for the owner.
    # Closed: the bidder's own bid is decrypted, and unlocking it again is answered 200
    # "already decrypted, nothing more to do" (decisions.md), changing nothing.
    "api:hall-key": Row({"POST": ("DNNNNNNNN", "DRDDDDDDD", "DADDDDDDD")}),
    "api:hall-objection": Row({"GET": ("NNNNNNNNN", "NNNNNNNNN", "AAAAAAAAA")}),
    "api:hall-objection-answer": Row({"POST": ("DNNNNNNNN", "DNNNNNNNN", "DDDRDRDDR")}),
    "api:hall-objections": Row({"GET": same("AAAAAAAAA"), "POST": same("DRRRRRRRR")}),
    "api:hall-record": Row({"GET": ("NNNNNNNNN", "NNNNNNNNN", "AAAAAAAAA")}),
    "api:hall-rescue": Row({"POST": same("DDDDDRDDR")}),
    # [E27, E31] Key holders (tenderee, centre, regulator) reach the service but are
    # refused (R) outside a host-started rescue; everyone else: not found.
    "api:hall-share": Row({"GET": same("DNNRNRRNN"), "POST": same("DNNRNRRNN")}),
    "api:hall-sign-in": Row({"POST": ("DRRRRRRRR", "DADDDDDDD", "DRRRRRRRR")}),
    "api:me": Row({"GET": same("DAAAAAAAA")}),
    "api:organisation-keys": Row({"GET": same("DANNNAANA"), "POST": same("DRNNNDDNR")}),
    "api:platform-key": Row({"GET": same("AAAAAAAAA")}),
    # A bid exists only for its own organisation: not found for everyone else, always.
    "api:receipt": Row({"GET": same("DANNNNNNN")}),
    "api:schema": Row({"GET": same("AAAAAAAAA")}),
    "api:section": Row({"GET": same("AAAAAAAAA")}),
    "api:time": Row({"GET": same("AAAAAAAAA")}),
    "api:token": Row({"POST": same("RRRRRRRRR")}),
    # An upload exists only for its own organisation [E21].
    "api:upload": Row({"DELETE": same("DRNNNNNNN"), "PATCH": same("DANNNNNNN")}),
    "api:uploads": Row({"POST": same("DRRRRRRRR")}),
    "api:withdraw": Row({"POST": ("DANNNNNNN", "DRNNNNNNN", "DRNNNNNNN")}),
    "bidding:my_bids": Row({"GET": same("DAAAAAAAA"), "POST": same("DAAAAAAAA")}),
    "bidding:receipt": Row({"GET": same("DANNNNNNN"), "POST": same("DANNNNNNN")}),
    "bidding:upload": Row({"GET": same("DAAAAAAAA"), "POST": same("DAAAAAAAA")}),
    "bidding:withdraw": Row({"POST": same("DANNNNNNN")}),
    # The bank's signed callback: no person is the bank; without its HMAC-SM3 signature
    # everyone gets 401, and the answer names no line, deposit or bidder.
    "deposits:bank_callback": Row({"POST": same("DDDDDDDDD")}),
    # The public verification form; without a number and its code it shows nothing.
    "guarantees:verify": Row({"GET": same("AAAAAAAAA"), "POST": same("AAAAAAAAA")}),
    # A bidder's own basic account [R26]: its administrators change it (make_bidder makes
    # every world bidder one); everyone else is refused with where to go.
    "deposits:basic_account": Row({"GET": same("DAADDDDDD"), "POST": same("DAADDDDDD")}),
    # [R35, R74] The hosting centre decides, after the deadline; the regulator and the
    # tenderee see the section's deposits but may not (403, with why); before the deadline the
    # section's deposits are not there for anyone.
    "deposits:forfeit": Row({"POST": ("DNNNNNNNN", "DNNDNADNA", "DNNDNADNA")}),
    # A line of the section: not found before the deadline, nor by anyone who does not
    # oversee the money; the regulator reads it and is refused the decision.
    "deposits:line_accept": Row({"POST": ("DNNNNNNNN", "DNNNNADNA", "DNNNNADNA")}),
    "deposits:line_return": Row({"POST": ("DNNNNNNNN", "DNNNNADNA", "DNNNNADNA")}),
    # A bidder's own deposits, whoever else has paid; nobody else has any.
    "deposits:mine": Row({"GET": same("DAADDDDDD")}),
    # The payment notice is always the asking bidder's own (another bidder gets its own,
    # empty): it never tells whether anyone else paid [E21].
    "deposits:notice": Row({"GET": same("DAADDDDDD")}),
    # The centre and the regulator; each line filtered by deposits.access (nothing of a
    # section before its deadline).
    "deposits:report_csv": Row({"GET": same("DDDDDAADA")}),
    "deposits:report_xlsx": Row({"GET": same("DDDDDAADA")}),
    "deposits:staff": Row({"GET": same("DDDDDAADA")}),
    # Not there before the deadline, for anyone; afterwards the section's overseers and
    # tenderee.
    "deposits:staff_section": Row({"GET": ("DNNNNNNNN", "DNNANAANA", "DNNANAANA")}),
    "deposits:sub_account": Row({"POST": same("DAADDDDDD")}),
    # experts: draw and calls
    # Who sits on a committee is secret until the result is set [L37]: a draw is seen by its
    # section's centre staff (who run it) and regulator (who reads it: 403 on acting), and
    # is not found by anyone else, a platform superuser included. Before the deadline no
    # draw exists (draw_request refuses). Acting on a drawn draw again is refused by the
    # service, said on the page it redirects to. An expert sees only their own called seat.
    "experts:draws": Row({"GET": same("DDDDDAADD")}),
    "experts:draw_request": Row({"GET": same("DNNNNADNN"), "POST": same("DNNNNADNN")}),
    "experts:draw": Row({"GET": ("DNNNNNNNN", "DNNNNAANN", "DNNNNAANN")}),
    "experts:draw_run": Row({"POST": ("DNNNNNNNN", "DNNNNADNN", "DNNNNADNN")}),
    "experts:draw_replay": Row({"GET": ("DNNNNNNNN", "DNNNNAANN", "DNNNNAANN")}),
    "experts:draw_reveal": Row({"POST": ("DNNNNNNNN", "DNNNNADNN", "DNNNNADNN")}),
    "experts:my_seats": Row({"GET": same("DDDDDDDAD")}),
    "experts:seat": Row(
        {
            "GET": ("DNNNNNNNN", "DNNNNNNAN", "DNNNNNNAN"),
            "POST": ("DNNNNNNNN", "DNNNNNNAN", "DNNNNNNAN"),
        }
    ),
    # experts: evaluation. A committee's evaluation opens once the hall closed (the world
    # opens one at "closed", the world's expert a member, passed the second factor). Its
    # members work in it; the section's staff and regulator watch it (progress, no marks)
    # but cannot act (403); everyone else, a superuser included, does not find it [L37].
    # Bid files are for members only. The report exists once the leader concludes (not in
    # this world: 404 for all). A bidder sees and answers only the clarifications put to it
    # [R52]. A refused action redirects back with the reason, as the draw pages do.
    "experts:evaluation_open": Row(
        {
            "GET": ("DNNNNNNNN", "DNNNNADNN", "DNNNNADNN"),
            "POST": ("DNNNNNNNN", "DNNNNADNN", "DNNNNADNN"),
        }
    ),
    "experts:my_evaluations": Row({"GET": same("DAAAAAAAA")}),
    "experts:evaluation": Row({"GET": ("DNNNNNNNN", "DNNNNNNNN", "DNNNNAAAN")}),
    "experts:evaluation_act": Row({"POST": ("DNNNNNNNN", "DNNNNNNNN", "DNNNNDDAN")}),
    "experts:bid_file": Row({"GET": ("DNNNNNNNN", "DNNNNNNNN", "DNNNNDDAN")}),
    "experts:report": Row({"GET": same("DNNNNNNNN")}),
    "experts:signing_key": Row({"GET": same("DDDDDDDAD"), "POST": same("DDDDDDDAD")}),
    # The expert's own record: the world's expert is in the library once the draw was made.
    "experts:my_profile": Row(
        {
            "GET": ("DDDDDDDDD", "DDDDDDDAD", "DDDDDDDAD"),
            "POST": ("DDDDDDDDD", "DDDDDDDAD", "DDDDDDDAD"),
        }
    ),
    "experts:my_queries": Row({"GET": same("DAADDDDDD")}),
    "experts:query_answer": Row({"POST": ("DNNNNNNNN", "DNNNNNNNN", "DANNNNNNN")}),
    # The health probe: public, no login; it says only whether this process can serve.
    "healthz": Row({"GET": same("AAAAAAAAA")}),
    "home": Row({"GET": same("AAAAAAAAA")}),
    # Prometheus metrics: for the monitoring network or the bearer token, never for a
    # browser session, whoever is signed in (the matrix calls from 192.0.2.10).
    "metrics": Row({"GET": same("DDDDDDDDD")}),
    "realtime:hall": Row({"GET": same("AAAAAAAAA")}),
    # Lists public facts (code, name, opening time, stage) of the halls one hosts, supervises
    # or runs; nothing about bids. Everyone signed in gets the page (others: an empty list).
    "realtime:halls": Row({"GET": same("DAAAAAAAA")}),
    "set_language": Row({"GET": same("AAAAAAAAA"), "POST": same("AAAAAAAAA")}),
    "trading:announcements": Row({"GET": same("AAAAAAAAA"), "POST": same("AAAAAAAAA")}),
    "trading:answer": Row({"POST": same("DDDADDDDD")}),
    "trading:cancel": Row({"POST": same("DDDADDDDD")}),
    "trading:clarify": Row({"POST": same("DDDADDDDD")}),
    "trading:document_upload": Row({"POST": same("DDDADDDDD")}),
    "trading:download": Row({"GET": same("AAAAAAAAA"), "POST": same("AAAAAAAAA")}),
    "trading:manage": Row({"GET": same("DDDADDDDD"), "POST": same("DDDADDDDD")}),
    "trading:my_sections": Row({"GET": same("DAAAAAAAA"), "POST": same("DAAAAAAAA")}),
    "trading:object": Row({"POST": same("DAAAAAAAA")}),
    "trading:opening_key": Row({"GET": same("AAAAAAAAA"), "POST": same("AAAAAAAAA")}),
    "trading:publish": Row({"POST": same("DDDADDDDD")}),
    "trading:section": Row({"GET": same("AAAAAAAAA"), "POST": same("AAAAAAAAA")}),
    "trading:retender": Row({"GET": same("DDDADDDDD"), "POST": same("DDDADDDDD")}),
    "trading:section_new": Row({"GET": same("DNNANDDND"), "POST": same("DNNANDDND")}),
}

# The supervision side's routes, each part's rows kept beside its world.
for _part in (
    matrix_alerts,
    matrix_complaints,
    matrix_credit,
    matrix_portal,
    matrix_award,
    matrix_opendata,
    matrix_archive,
    matrix_transparency,
    matrix_ceremony,
):
    ROWS.update(_part.ROWS)

# Halls are public [E29]: everyone may watch; a section that does not exist (or is a draft)
# has no hall anyone can find.
WEBSOCKET_ROWS: dict[str, dict[str, Stages]] = {
    "/ws/halls/<str:code>/": {
        "section": same("AAAAAAAAA"),
        "missing": same("NNNNNNNNN"),
    },
    # An evaluation's progress: its members (an expert past the second factor), the
    # section's staff and regulator; nobody else learns it exists.
    "/ws/evaluations/<int:pk>/": {
        "evaluation": ("NNNNNNNNN", "NNNNNNNNN", "NNNNNAAAN"),
        "missing": same("NNNNNNNNN"),
    },
    # Every other path is refused at the handshake (4404), never a server error.
    "/": {"unknown": same("NNNNNNNNN")},
}
