"""ASGI entry point: HTTP through Django, websockets through the Channels router.

The tus PATCH of a bid upload goes to a Django handler that streams the body into storage
instead of spooling it first (bidding/asgi_upload.py); every other HTTP request is unchanged.

Websockets: the Origin must be the page's own or a configured one (ggzy/websocket_origin.py),
the user comes from the session, each connection gets a request id for its log lines and is
counted in the open-websockets gauge (ggzy/observability), and a path no route knows is
refused (config/routing.py).
"""

import os

from django.conf import settings
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()
if settings.DEBUG:
    # The embedded demo serves its own static files; in production nginx does.
    django_asgi_app = ASGIStaticFilesHandler(django_asgi_app)

from channels.auth import AuthMiddlewareStack  # noqa: E402  (needs Django set up first)
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from bidding.asgi_upload import StreamingUploadHandler, UploadRouter  # noqa: E402
from config.routing import websocket_urlpatterns  # noqa: E402
from ggzy.observability.context import WebsocketLogContext  # noqa: E402
from ggzy.websocket_origin import SameOriginValidator  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": UploadRouter(default=django_asgi_app, upload=StreamingUploadHandler()),
        "websocket": SameOriginValidator(
            AuthMiddlewareStack(WebsocketLogContext(URLRouter(websocket_urlpatterns)))
        ),
    }
)
