"""The portal's tests ask about the security tests' world: a section with three bids, its
hall, deposits and committee, at the stage a test names (tests/security/world.py)."""

from tests.bidding.conftest import bidders, section  # noqa: F401
from tests.realtime.conftest import eager_celery  # noqa: F401
from tests.security.conftest import world_at  # noqa: F401
from tests.trading.conftest import draft, holders, project, published, tenderee  # noqa: F401
