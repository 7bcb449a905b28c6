"""The award stage's pages under /award/ (namespace ``award``)."""

from django.urls import URLPattern, URLResolver, path

from award import views

app_name = "award"

urlpatterns: list[URLPattern | URLResolver] = [
    path("award/notices/", views.notices, name="notices"),
    path("award/<str:code>/", views.result, name="result"),
    path("award/<str:code>/publicity/<str:fmt>/", views.publicity_download, name="publicity"),
    path("award/<str:code>/objections/", views.objection_page, name="objections"),
    path("award/<str:code>/objections/<int:pk>/answer/", views.objection_answer, name="answer"),
    path("award/<str:code>/manage/", views.manage, name="manage"),
    path("award/<str:code>/manage/issue/", views.issue, name="issue"),
    path("award/<str:code>/manage/awards/<int:pk>/decline/", views.decline, name="decline"),
    path("award/<str:code>/manage/retender/", views.retender, name="retender"),
    path("award/<str:code>/manage/contract/", views.contract, name="contract"),
    path("award/<str:code>/contract/", views.contract_file, name="contract_file"),
    path(
        "award/<str:code>/awards/<int:pk>/<str:fmt>/", views.award_download, name="award_download"
    ),
    path(
        "award/<str:code>/notices/<int:pk>/<str:fmt>/",
        views.notice_download,
        name="notice_download",
    ),
]
