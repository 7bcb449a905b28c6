"""Signals the award app sends upward (open data and the archive follow them; award never
imports them). Both are sent inside the service's transaction, after the rows are written:
a receiver that fails rolls the change back with it."""

from django.dispatch import Signal

# sender=Award, award=<Award>: an award notice was issued, or the winner declined [R55]
# (look at ``award.status``).
award_changed = Signal()

# sender=Contract, contract=<Contract>: a contract was recorded [L46].
contract_recorded = Signal()
