"""/api/v1/: the router of spec-document endpoints, the OpenAPI schema and its docs page."""

from __future__ import annotations

from django.urls import include, path
from drf_spectacular.renderers import (
    OpenApiJsonRenderer,
    OpenApiJsonRenderer2,
    OpenApiYamlRenderer,
    OpenApiYamlRenderer2,
)
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from catalog.api import docs, views
from catalog.api.changes import ChangeViewSet
from catalog.api.findings import FindingViewSet
from catalog.api.permissions import ReadAnyRole
from catalog.api.reminders import ReminderViewSet
from catalog.api.trend import TrendView
from catalog.api.workarounds import WorkaroundRunViewSet

app_name = "api"

router = DefaultRouter()
# Emails contain dots: a ".com" must not be read as a format suffix.
router.include_format_suffixes = False
router.register("people", views.PersonViewSet, basename="person")
router.register("systems", views.SystemViewSet, basename="system")
router.register("calendars", views.CalendarViewSet, basename="calendar")
router.register("data-objects", views.DataObjectViewSet, basename="data-object")
router.register("platform-accounts", views.PlatformAccountViewSet, basename="platform-account")
router.register("value-maps", views.ValueMapViewSet, basename="valuemap")
router.register("integrations", views.IntegrationViewSet, basename="integration")
router.register("golives", views.GoLiveViewSet, basename="golive")
router.register("findings", FindingViewSet, basename="finding")
router.register("changes", ChangeViewSet, basename="change")
router.register("reminders", ReminderViewSet, basename="reminder")
router.register("workaround-runs", WorkaroundRunViewSet, basename="workaround-run")
# Runs are monitoring's: served under /api/v1/runs/ by monitoring.views.api (catalog never imports monitoring).

# JSON by default; YAML with ?format=yaml or Accept: application/yaml.
schema_view = SpectacularAPIView.as_view(
    permission_classes=[ReadAnyRole],
    renderer_classes=[OpenApiJsonRenderer, OpenApiJsonRenderer2, OpenApiYamlRenderer, OpenApiYamlRenderer2],
)

urlpatterns = [
    path("schema/", schema_view, name="schema"),
    path("docs/", docs.api_docs, name="docs"),
    path("trend/", TrendView.as_view(), name="trend"),
    path("", include(router.urls)),
]
