"""The security tests' world (tests/security/conftest.py), for the language tests."""

from tests.bidding.conftest import bidders, section  # noqa: F401
from tests.realtime.conftest import eager_celery  # noqa: F401
from tests.security.conftest import world_at  # noqa: F401
from tests.trading.conftest import draft, holders, project, published, tenderee  # noqa: F401
