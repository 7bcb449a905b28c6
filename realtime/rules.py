"""The hall's bounds, in one place (issue 7). The law sets none of these numbers: objections
in the hall are raised and answered on the spot [R44], so they are short; the bounds keep
one bidder from filling the hall's stream, its snapshot or its record for everyone."""

from __future__ import annotations

import datetime as dt

# What a bidder may post in the hall [R44], and the answer given on the spot.
OBJECTION_TEXT_MAX_CHARS = 2_000
OBJECTION_ANSWER_MAX_CHARS = 2_000
OBJECTIONS_PER_BIDDER_MAX = 5  # per hall; further points go to a complaint [R60]

# What goes over the stream. The channel layer refuses a message over 1 MB (and a refused
# group message closes every socket of the hall), so snapshots and events carry objections
# by reference beyond an excerpt: the client fetches the full text from
# GET /api/halls/<code>/objections/<id>.
EXCERPT_CHARS = 100
# The snapshot lists at most this many objections inline (unanswered ones first, then the
# latest answered); the rest are counted and listed by GET /api/halls/<code>/objections.
SNAPSHOT_OBJECTIONS_MAX = 50
# Every snapshot and event must encode (json.dumps, ASCII-escaped: what a websocket frame
# carries, and more than msgpack's UTF-8 in the channel layer) to less than this, for a hall
# of up to DESIGN_BIDDERS bidders whatever they post (tests/realtime/test_hall_flood.py).
MESSAGE_BOUND_BYTES = 512 * 1024
DESIGN_BIDDERS = 100

# The opening record is built by a task after the hall closes; if none has been stored this
# long after it was last asked for (the worker died), the chronograph asks again.
RECORD_RETRY_AFTER = dt.timedelta(minutes=2)
