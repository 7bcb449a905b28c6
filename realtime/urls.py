from django.urls import URLPattern, path

from realtime import views

app_name = "realtime"

urlpatterns: list[URLPattern] = [
    path("<str:code>/", views.hall_page, name="hall"),
]
