from __future__ import annotations

from django.urls import path

from catalog.views import dashboard, documents
from catalog.views.audit import audit_changes_csv, audit_page, audit_signoffs_csv
from catalog.views.data_objects import data_object_detail, data_object_list
from catalog.views.findings import findings_list, waive_finding
from catalog.views.golive_review import golive_review, golive_review_sign_off
from catalog.views.golives import golive_attest, golive_detail, golive_list, golive_sign_off
from catalog.views.graph import graph_download, graph_page
from catalog.views.integration_edit import integration_edit, integration_new
from catalog.views.integrations import integration_detail, integration_list, integration_reviewed, integration_spec
from catalog.views.people import me, person_detail, person_list
from catalog.views.phase_two import phase_two
from catalog.views.reminders import reminder_list, review
from catalog.views.search import search
from catalog.views.system_edit import system_edit
from catalog.views.systems import system_detail, system_list
from catalog.views.trend import weekly_email
from catalog.views.upload import upload
from catalog.views.value_maps import (
    value_map_detail,
    value_map_list,
    value_map_reviewed,
    value_map_rows_csv,
    value_map_upload,
)
from catalog.views.workarounds import workaround_confirm, workaround_done, workaround_ping

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("integrations/", integration_list, name="integration-list"),
    path("integrations/new/", integration_new, name="integration-new"),
    path("integrations/<slug:key>/", integration_detail, name="integration-detail"),
    path("integrations/<slug:key>/edit/", integration_edit, name="integration-edit"),
    path("integrations/<slug:key>/spec.yaml", integration_spec, name="integration-spec"),
    path("integrations/<slug:key>/reviewed/", integration_reviewed, name="integration-reviewed"),
    path("integrations/<slug:key>/workaround/done/", workaround_done, name="workaround-done"),
    path("workaround/confirm/<str:token>/", workaround_confirm, name="workaround-confirm"),
    path("workaround/<uuid:workaround_uuid>/done", workaround_ping, name="workaround-ping"),
    path("systems/", system_list, name="system-list"),
    path("systems/new/", documents.system_new, name="system-new"),
    path("systems/<slug:key>/", system_detail, name="system-detail"),
    path("systems/<slug:key>/edit/", system_edit, name="system-edit"),
    path("data-objects/", data_object_list, name="data-object-list"),
    path("data-objects/new/", documents.data_object_new, name="data-object-new"),
    # Keys come from integrations' data_objects lists too, free text: any path; edit is matched first.
    path("data-objects/<path:key>/edit/", documents.data_object_edit, name="data-object-edit"),
    path("data-objects/<path:key>/", data_object_detail, name="data-object-detail"),
    path("people/", person_list, name="person-list"),
    path("people/new/", documents.person_new, name="person-new"),
    path("people/<str:email>/edit/", documents.person_edit, name="person-edit"),
    path("people/<str:email>/", person_detail, name="person-detail"),
    path("me/", me, name="me"),
    path("me/weekly-email/", weekly_email, name="me-weekly-email"),
    path("upload/", upload, name="upload"),
    path("findings/", findings_list, name="findings"),
    path("findings/<int:pk>/waive/", waive_finding, name="finding-waive"),
    path("phase-two/", phase_two, name="phase-two"),
    path("golives/", golive_list, name="golive-list"),
    path("golives/new/", documents.golive_new, name="golive-new"),
    path("golives/<slug:key>/edit/", documents.golive_edit, name="golive-edit"),
    path("platform-accounts/", documents.account_list, name="account-list"),
    path("platform-accounts/new/", documents.account_new, name="account-new"),
    path("platform-accounts/<slug:key>/edit/", documents.account_edit, name="account-edit"),
    path("golives/<slug:key>/", golive_detail, name="golive-detail"),
    path("golives/<slug:key>/attest/", golive_attest, name="golive-attest"),
    path("golives/<slug:key>/sign-off/", golive_sign_off, name="golive-sign-off"),
    path("golives/<slug:key>/review/", golive_review, name="golive-review"),
    path("golives/<slug:key>/review/sign-off/", golive_review_sign_off, name="golive-review-sign-off"),
    path("value-maps/", value_map_list, name="valuemap-list"),
    path("value-maps/new/", documents.value_map_new, name="valuemap-new"),
    path("value-maps/<slug:key>/", value_map_detail, name="valuemap-detail"),
    path("value-maps/<slug:key>/edit/", documents.value_map_edit, name="valuemap-edit"),
    path("value-maps/<slug:key>/reviewed/", value_map_reviewed, name="valuemap-reviewed"),
    path("value-maps/<slug:key>/rows.csv", value_map_rows_csv, name="valuemap-rows-csv"),
    path("value-maps/<slug:key>/rows/", value_map_upload, name="valuemap-upload"),
    path("reminders/", reminder_list, name="reminder-list"),
    path("review/<str:token>/", review, name="review"),
    path("audit/", audit_page, name="audit"),
    path("audit/changes.csv", audit_changes_csv, name="audit-changes-csv"),
    path("audit/signoffs.csv", audit_signoffs_csv, name="audit-signoffs-csv"),
    path("search/", search, name="search"),
    path("graph/", graph_page, name="graph"),
    path("graph/estate.<str:fmt>", graph_download, name="graph-download"),
]
