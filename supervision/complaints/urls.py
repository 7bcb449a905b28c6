"""The complaints pages under /complaints/ (namespace ``complaints``)."""

from django.urls import URLPattern, URLResolver, path

from supervision.complaints import views

app_name = "complaints"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.complaint_list, name="list"),
    path("new/<str:code>/", views.complaint_new, name="new"),
    path("<int:pk>/", views.complaint_detail, name="detail"),
    path("<int:pk>/handle/", views.complaint_handle, name="handle"),
    path("<int:pk>/statement/", views.complaint_statement, name="statement"),
    path("<int:pk>/withdraw/", views.complaint_withdraw, name="withdraw"),
]
