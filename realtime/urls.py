from django.urls import URLPattern, path

from realtime import overview, views

app_name = "realtime"

urlpatterns: list[URLPattern] = [
    path("", overview.halls, name="halls"),
    path("<str:code>/", views.hall_page, name="hall"),
]
