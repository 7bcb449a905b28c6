from django.urls import path

from trading import manage_views, views

app_name = "trading"

urlpatterns = [
    path("sections/", views.announcements, name="announcements"),
    path("sections/<str:code>/", views.section_detail, name="section"),
    path("sections/<str:code>/objections/", views.objection_raise, name="object"),
    path("sections/<str:code>/opening-key.pem", views.opening_key, name="opening_key"),
    path("documents/<int:pk>/download/", views.document_download, name="download"),
    path("manage/", manage_views.my_sections, name="my_sections"),
    path(
        "manage/projects/<int:project_pk>/sections/new/",
        manage_views.section_new,
        name="section_new",
    ),
    path("manage/sections/<int:pk>/", manage_views.manage, name="manage"),
    path(
        "manage/sections/<int:pk>/documents/", manage_views.document_upload, name="document_upload"
    ),
    path("manage/sections/<int:pk>/publish/", manage_views.publish, name="publish"),
    path("manage/sections/<int:pk>/clarifications/", manage_views.clarify, name="clarify"),
    path("manage/sections/<int:pk>/cancel/", manage_views.cancel, name="cancel"),
    path("manage/sections/<int:pk>/retender/", manage_views.retender, name="retender"),
    path(
        "manage/sections/<int:pk>/objections/<int:objection_pk>/answer/",
        manage_views.answer,
        name="answer",
    ),
]
