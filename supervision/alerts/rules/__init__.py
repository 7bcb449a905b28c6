"""The collusion and anomaly rules: one small function per rule, each reading data other
apps already hold and returning findings with their evidence. The runner
(supervision.alerts.runner) decides when a rule may run: never about a section before its
bid deadline [E21, E27]."""

from __future__ import annotations

from collections.abc import Callable

from supervision.alerts.models import RuleCode
from supervision.alerts.rules import crowd, envelopes, files, parties, prices
from supervision.alerts.rules.common import Finding
from supervision.alerts.thresholds import Thresholds
from trading.models import Section

SectionRule = Callable[[Section, Thresholds], list[Finding]]
CrossSectionRule = Callable[[Thresholds], list[Finding]]

SECTION_RULES: dict[str, SectionRule] = {
    RuleCode.SAME_MACHINE: envelopes.same_machine,
    RuleCode.SAME_FILE_CREATION_ID: envelopes.same_file_creation_id,
    RuleCode.SAME_UPLOAD_ADDRESS: envelopes.same_upload_address,
    RuleCode.SAME_CIPHERTEXT: envelopes.same_ciphertext,
    RuleCode.LAST_SECONDS: envelopes.last_seconds,
    RuleCode.SAME_DECRYPTED_FILE: files.same_decrypted_file,
    RuleCode.SAME_DEPOSIT_PAYER: parties.same_deposit_payer,
    RuleCode.SAME_LEGAL_REPRESENTATIVE: parties.same_legal_representative,
    RuleCode.PRICE_PATTERN: prices.price_pattern,
    RuleCode.NEAR_CEILING: prices.near_ceiling,
    RuleCode.SCORE_DEVIATION: crowd.score_deviation,
}

CROSS_SECTION_RULES: dict[str, CrossSectionRule] = {
    RuleCode.HABITUAL_COBIDDERS: crowd.habitual_cobidders,
}

__all__ = ["CROSS_SECTION_RULES", "SECTION_RULES", "Finding"]
