from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import second_factor_views, views

app_name = "accounts"

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="accounts/login.html"),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("register/", views.register, name="register"),
    path("dashboard/", views.dashboard, name="dashboard"),
    # The workbench's panels, each refreshed on its own (htmx): ?panel=<key>, or all.
    path("dashboard/panels/", views.workbench_panels, name="workbench_panels"),
    path("tokens/", views.tokens, name="tokens"),
    path("organisations/<int:pk>/edit/", views.organisation_edit, name="organisation_edit"),
    path("organisations/<int:pk>/people/", views.people, name="people"),
    path(
        "organisations/<int:pk>/people/<int:person_pk>/deactivate/",
        views.person_deactivate,
        name="person_deactivate",
    ),
    path("organisations/<int:pk>/keys/", views.keys, name="keys"),
    path("keys/<int:pk>/retire/", views.key_retire, name="key_retire"),
    # The second factor (experts): set up an authenticator, verify the session with it.
    path("second-factor/enrol/", second_factor_views.enrol, name="second_factor_enrol"),
    path("second-factor/verify/", second_factor_views.verify, name="second_factor_verify"),
]
