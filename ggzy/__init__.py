"""The server's kernel: the clock, credit codes, request helpers, domain errors, API plumbing.

Imports no app; every app may import it. The Django-free part that the bidder's tool shares
(national crypto, canonical JSON, signed formats) is the ``ggzy_core`` distribution.
"""
