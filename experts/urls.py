"""The experts pages under /experts/ (namespace ``experts``): the draw and the expert's answer
to a call."""

from django.urls import path

from experts import draw_views, evaluation_views

app_name = "experts"

urlpatterns = [
    path("draws/", draw_views.draws_page, name="draws"),
    path("sections/<str:code>/draw/", draw_views.draw_request, name="draw_request"),
    path("draws/<int:pk>/", draw_views.draw_page, name="draw"),
    path("draws/<int:pk>/run/", draw_views.draw_run, name="draw_run"),
    path("draws/<int:pk>/replay/", draw_views.draw_replay, name="draw_replay"),
    path("draws/<int:pk>/reveal/", draw_views.draw_reveal, name="draw_reveal"),
    path("seats/", draw_views.my_seats, name="my_seats"),
    path("seats/<int:pk>/", draw_views.seat_page, name="seat"),
    # The evaluation (experts.evaluation_views).
    path("draws/<int:pk>/evaluation/", evaluation_views.evaluation_open, name="evaluation_open"),
    path("evaluations/", evaluation_views.my_evaluations, name="my_evaluations"),
    path("evaluations/<int:pk>/", evaluation_views.evaluation_page, name="evaluation"),
    path("evaluations/<int:pk>/act/", evaluation_views.evaluation_act, name="evaluation_act"),
    path(
        "evaluations/<int:pk>/bids/<int:number>/files/<int:index>/",
        evaluation_views.bid_file,
        name="bid_file",
    ),
    path("evaluations/<int:pk>/report/", evaluation_views.report_download, name="report"),
    path("signing-key/", evaluation_views.signing_key, name="signing_key"),
    path("profile/", evaluation_views.my_profile, name="my_profile"),
    path("queries/", evaluation_views.my_queries, name="my_queries"),
    path("queries/<int:pk>/answer/", evaluation_views.query_answer, name="query_answer"),
]
