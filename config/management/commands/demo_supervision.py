"""What the demo's regulator finds (`make demo`, called by demo_data; not a command itself):
a complaint about the first demo section's tender documents, filed after the tenderee
answered the bidder's objection [R22, R60], and two demo bidders under one legal
representative, so that the demo opening raises that alert [R34] at its deadline besides
the one its three bids sealed on one machine raise [R40]. Alerts appear only after the
deadline: before it, nothing may be said about bids [E21].
"""

from __future__ import annotations

from accounts.models import Person
from supervision.complaints import clocks, filing
from supervision.complaints.models import Complaint, Matter
from trading import objections
from trading.models import DocumentObjection, Section

# 李二 heads 长江路桥 and, under the same identity number, 金陵市政 (the demo's own fiction):
# given at registration (demo_data), hashed there like any identity number.
SHARED_REPRESENTATIVE_ID = "320102198001010014"
REPRESENTATIVE_IDS = {"bidder2": SHARED_REPRESENTATIVE_ID, "bidder3": SHARED_REPRESENTATIVE_ID}


def complain_about_the_documents(section: Section) -> Complaint:
    """bidder2 objects to the tender documents, the tenderee answers, bidder2 complains to
    the supervising department about the answer [R22, R60 ¶2]."""
    bidder = Person.objects.get(username="bidder2")
    tenderee = Person.objects.get(username="tenderee")
    objection = DocumentObjection.objects.filter(
        section=section, organisation=bidder.organisation
    ).first() or objections.objection_raise(
        section=section,
        actor=bidder,
        text="招标文件第三章要求投标人具有本市同类业绩，排斥外地潜在投标人。",
    )
    if not objection.answer:
        objections.objection_answer(
            objection=objection, actor=tenderee, answer="业绩要求系项目需要，不予修改。"
        )
    existing = Complaint.objects.filter(section=section).first()
    if existing is not None:
        return existing
    return filing.complaint_file(
        section=section,
        actor=bidder,
        matter=Matter.TENDER_DOCUMENTS,
        knew_on=clocks.today(),
        text="招标人对异议的答复未纠正以本市业绩为条件排斥外地潜在投标人的内容。",
        requests="责令招标人修改招标文件第三章的业绩要求，并相应顺延投标截止时间。",
    )
