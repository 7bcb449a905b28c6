"""The credit pages under /credit/ (namespace ``credit``; accounts.credit_views)."""

from django.urls import URLPattern, URLResolver, path

from accounts import credit_views

app_name = "credit"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", credit_views.dishonest, name="dishonest"),
    path("records/", credit_views.records, name="records"),
    path("records/new/", credit_views.enter, name="enter"),
    path("records/<int:pk>/", credit_views.record, name="record"),
    path("records/<int:pk>/revoke/", credit_views.revoke, name="revoke"),
    path("records/<int:pk>/correct/", credit_views.correct, name="correct"),
    path("import/", credit_views.import_records, name="import"),
    path("mine/", credit_views.mine, name="mine"),
]
