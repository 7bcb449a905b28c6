"""Websocket routes. The last one refuses every path the others do not know."""

from django.urls import path, re_path

from experts.consumers import ProgressConsumer
from realtime.consumers import HallConsumer, NotFoundConsumer

websocket_urlpatterns = [
    path("ws/halls/<str:code>/", HallConsumer.as_asgi()),
    path("ws/evaluations/<int:pk>/", ProgressConsumer.as_asgi()),
    re_path(r"", NotFoundConsumer.as_asgi()),
]
