from django.urls import path

from supervision.opendata import views

app_name = "opendata"

urlpatterns = [
    path("", views.index, name="index"),
    path("releases.json", views.Feed.as_view(), name="releases"),
    path("releases/<str:release_id>.json", views.ReleaseDetail.as_view(), name="release"),
    path("records/<str:ocid>.json", views.RecordDetail.as_view(), name="record"),
]
