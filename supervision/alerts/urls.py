from django.urls import URLPattern, URLResolver, path

from supervision.alerts import views

app_name = "alerts"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.alerts_page, name="list"),
    path("<int:pk>/", views.alert_page, name="detail"),
    path("<int:pk>/investigate/", views.alert_investigate, name="investigate"),
    path("<int:pk>/close/", views.alert_close, name="close"),
    path("<int:pk>/note/", views.alert_note, name="note"),
]
