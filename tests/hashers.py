"""A cheap password hash for the test people: the production PBKDF2 (0.4 s a hash here)
made most of a test's set-up. Same algorithm name and format, fewer iterations — the count
is stored in each hash, so a daphne started by a test, with the production hashers, still
verifies these passwords."""

from django.contrib.auth.hashers import PBKDF2PasswordHasher


class FastPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    iterations = 1000
