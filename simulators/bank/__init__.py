"""The bank simulator: the bank holding the platform's collection account, as an HTTP
service in its own process (``python -m simulators.bank``).

It keeps its own accounts (customers with balances; the collection account that every
virtual sub-account credits), takes customers' transfers, books a statement line for each,
calls the platform back (signed, retried), pays refunds once per idempotency key, and can be
told to misbehave (refuse, time out, fail, deliver twice, drop, delay). The interface it
speaks is docs/bank-interface.md.
"""
