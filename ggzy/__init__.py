"""ggzy: a public resource trading platform with remote, no-presence bid opening.

Kept import-free: the bidder's tool imports ``ggzy.gm`` and must not pull in Django or
Celery. The Celery app is loaded by ``GgzyConfig.ready`` instead.
"""
