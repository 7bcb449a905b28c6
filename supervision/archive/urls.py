from django.urls import path

from supervision.archive import views

app_name = "archive"

urlpatterns = [
    path("", views.archive_list, name="list"),
    path("<str:code>/download/", views.archive_download, name="download"),
    path("<str:code>/seal/", views.archive_seal_now, name="seal"),
]
