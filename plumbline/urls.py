from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from monitoring.views.api import router as runs_router
from plumbline.accounts.login import LoginView
from plumbline.http import not_found

urlpatterns = [
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("catalog.api.urls")),
    path("api/v1/", include(runs_router.urls)),
    path("", include("monitoring.urls")),
    path("", include("catalog.urls")),
]


# An API address matching nothing still answers in JSON.
handler404 = not_found
