"""Signals the trading floor sends upward (it never imports the apps above it)."""

from django.dispatch import Signal

# Sent by the chronograph at the bid deadline, inside its transaction, with ``section``.
# Receivers return how many live (received, not withdrawn) bids they hold for it; the
# chronograph sums the answers to decide between opening and failing [R44].
count_live_bids = Signal()

# Sent by ``transitions.apply`` inside the transaction, after a section changed status, with
# ``section``, ``source`` and ``target``. The opening hall follows the section with it.
status_changed = Signal()

# Sent by bidding inside the withdrawing transaction, with ``section`` and ``organisation``:
# the deposit of a bidder who withdraws before the deadline is refunded [R35].
bid_withdrawn = Signal()

# Sent by the expert draw with ``section``. Receivers return the unified social credit codes
# of the organisations holding live bids in it: their employees and relations are avoided
# [P12, R46].
bidders_of = Signal()

# Sent by the evaluation when it opens, with ``section``. The opening hall answers with the
# bids it opened (decrypted), each a dict: ``number``, ``credit_code``, ``price`` (a decimal
# string or None), ``sheet`` (the opening sheet) and ``files`` (storage names of the
# decrypted files). Revoked and withdrawn bids are not evaluated [E31].
opened_bids = Signal()
