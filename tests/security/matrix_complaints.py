"""The authorization matrix's rows for the complaints routes (see matrix.py)."""

from __future__ import annotations

from tests.security.cells import Row, same

ROWS: dict[str, Row] = {
    # Everyone signed in gets the list: their company's, projects', department's or
    # centre's complaints (others: an empty list).
    "complaints:list": Row({"GET": same("DAAAAAAAA")}),
    # Bidders and other interested parties file complaints [R60]: any company's people
    # (the form, or its refusal, 200); everyone else may see the section but not complain.
    "complaints:new": Row({"GET": same("DAADDDDDD"), "POST": same("DAADDDDDD")}),
    # The parties see a complaint: the complainant, the tenderee (respondent), the
    # centre's staff, the department; nobody else finds it, a superuser included. Before
    # the deadline the tenderee and the centre do not learn who complained [E21].
    "complaints:detail": Row({"GET": same("DANANAANN")}),
    # The department's actions; the other parties see the complaint but may not (403). A
    # refused or empty action redirects back with the reason.
    "complaints:handle": Row({"POST": same("DDNDNDANN")}),
    # A statement by the complainant or the respondent; withdrawal by the complainant.
    "complaints:statement": Row({"POST": same("DANANDDNN")}),
    "complaints:withdraw": Row({"POST": same("DANDNDDNN")}),
}
