"""Invalid spec input is rejected whole: the error names file, line, key and field, and the
database is left exactly as it was, even when the same import holds good documents."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from catalog.models import Integration, Person, PlatformAccount
from catalog.spec.importer import ImportFailed, import_paths
from tests.catalog.conftest import snapshot

pytestmark = pytest.mark.django_db

GOOD_PERSON = """
apiVersion: plumbline/v1
kind: Person
key: new.person@example.com
name: New Person
"""

# Changes an existing integration: must not be written when anything else is wrong.
GOOD_UPDATE = """
apiVersion: plumbline/v1
kind: Integration
key: salesforce-customers-to-netsuite
name: Renamed by a good document
source: salesforce
target: netsuite
"""


def failing_import(paths) -> list[str]:
    with pytest.raises(ImportFailed) as caught:
        import_paths([str(p) for p in paths])
    return [str(error) for error in caught.value.errors]


def test_unknown_enum_value_names_file_line_key_and_field(write_spec, stored_estate):
    good = write_spec("good.yaml", GOOD_PERSON + "---" + GOOD_UPDATE)
    bad = write_spec(
        "estate/billing.yaml",
        """
        apiVersion: plumbline/v1
        kind: Integration
        key: stripe-payments-to-netsuite
        source: chargebee
        target: netsuite
        lifecycle: alive
        """,
    )
    errors = failing_import([good, bad])
    assert errors == [
        f"{bad}:6: integration stripe-payments-to-netsuite: lifecycle: "
        "must be one of planned, building, live, deprecated, retired (got 'alive')"
    ]
    assert snapshot() == stored_estate
    assert not Person.objects.filter(email="new.person@example.com").exists()


def test_negative_interval_is_rejected_at_its_line(write_spec, stored_estate):
    bad = write_spec(
        "estate/billing.yaml",
        """
        apiVersion: plumbline/v1
        kind: Integration
        key: chargebee-invoices-to-netsuite
        source: chargebee
        target: netsuite
        sync:
          trigger: schedule
          interval_minutes: -15
        """,
    )
    good = write_spec("good.yaml", GOOD_UPDATE)
    errors = failing_import([good, bad])
    assert errors == [
        f"{bad}:8: integration chargebee-invoices-to-netsuite: sync.interval_minutes: must be a positive integer"
    ]
    assert snapshot() == stored_estate
    assert Integration.objects.get(key="salesforce-customers-to-netsuite").name != "Renamed by a good document"


def test_bad_key_is_rejected(write_spec, stored_estate):
    bad = write_spec(
        "systems.yaml",
        GOOD_PERSON
        + """---
apiVersion: plumbline/v1
kind: System
key: Stripe_Payments
name: Stripe
""",
    )
    errors = failing_import([bad])
    assert len(errors) == 1
    assert errors[0].startswith(f"{bad}:8: system Stripe_Payments: key: must be a lowercase slug")
    assert snapshot() == stored_estate


def test_key_longer_than_100_characters_is_rejected(write_spec, stored_estate):
    long_key = "a" * 101
    bad = write_spec("systems.yaml", f"apiVersion: plumbline/v1\nkind: System\nkey: {long_key}\n")
    errors = failing_import([bad])
    assert errors == [f"{bad}:3: system {long_key}: key: must be at most 100 characters"]
    assert snapshot() == stored_estate


def test_unknown_reference_is_rejected(write_spec, stored_estate):
    bad = write_spec(
        "integrations.yaml",
        GOOD_UPDATE
        + """---
apiVersion: plumbline/v1
kind: Integration
key: adp-payroll-to-netsuite
source: adp
target: netsuite
owner: nobody@example.com
""",
    )
    errors = failing_import([bad])
    assert errors == [
        f"{bad}:11: integration adp-payroll-to-netsuite: source: unknown system 'adp'",
        f"{bad}:13: integration adp-payroll-to-netsuite: owner: unknown person 'nobody@example.com'",
    ]
    assert snapshot() == stored_estate


def test_duplicate_key_across_files_is_rejected(write_spec, stored_estate):
    first = write_spec("a.yaml", GOOD_PERSON)
    second = write_spec("b.yaml", "# the same person again\n" + GOOD_PERSON.lstrip("\n"))
    errors = failing_import([first, second])
    assert errors == [f"{second}:4: person new.person@example.com: key: is defined twice (also at {first}:1)"]
    assert snapshot() == stored_estate


def test_unknown_kind_is_rejected(write_spec, stored_estate):
    bad = write_spec(
        "misc.yaml",
        GOOD_PERSON
        + """---
apiVersion: plumbline/v1
kind: Widget
key: sprocket
""",
    )
    errors = failing_import([bad])
    assert len(errors) == 1
    assert errors[0].startswith(f"{bad}:7: document sprocket: kind: unknown kind 'Widget'")
    assert snapshot() == stored_estate


def test_broken_yaml_is_rejected_with_its_line(write_spec, stored_estate):
    good = write_spec("good.yaml", GOOD_PERSON)
    bad = write_spec(
        "broken.yaml",
        """
        apiVersion: plumbline/v1
        kind: System
        key: stripe
        name: [unclosed
        vendor: Stripe
        """,
    )
    errors = failing_import([good, bad])
    assert len(errors) == 1
    assert errors[0].startswith(f"{bad}:5: invalid YAML:")
    assert snapshot() == stored_estate


def test_every_error_of_a_file_is_reported_not_just_the_first(write_spec, stored_estate):
    bad = write_spec(
        "estate.yaml",
        """
        apiVersion: plumbline/v1
        kind: Integration
        key: shopify-orders-to-netsuite
        direction: sideways
        connector: {type: ipaas, compatibility_sla_days: -1}
        sync: {trigger: schedule, interval_minute: 15}
        error_handling: {surface: email}
        """,
    )
    errors = failing_import([bad])
    assert errors == [
        f"{bad}:4: integration shopify-orders-to-netsuite: direction: must be one of one-way, bidirectional "
        "(got 'sideways')",
        f"{bad}:5: integration shopify-orders-to-netsuite: connector.compatibility_sla_days: "
        "must be a whole number of 0 or more",
        f"{bad}:6: integration shopify-orders-to-netsuite: sync.interval_minute: unknown field "
        "(did you mean interval_minutes?)",
        f"{bad}:7: integration shopify-orders-to-netsuite: error_handling.surface: must be one of alert, "
        "monitored-channel, log-file, none (got 'email')",
    ]
    assert snapshot() == stored_estate


def test_mapping_error_points_at_the_mapping_field(write_spec, stored_estate):
    bad = write_spec(
        "estate.yaml",
        """
        apiVersion: plumbline/v1
        kind: Integration
        key: shopify-orders-to-netsuite
        mappings:
          - {source: order.id, target: salesOrder.externalId}
          - source: order.total
            target: salesOrder.total
            required: maybe
        """,
    )
    errors = failing_import([bad])
    assert errors == [f"{bad}:8: integration shopify-orders-to-netsuite: mappings[1].required: must be true or false"]


def test_platform_account_takes_an_env_var_name_never_a_secret(write_spec, stored_estate):
    bad = write_spec(
        "accounts.yaml",
        """
        apiVersion: plumbline/v1
        kind: PlatformAccount
        key: boomi-prod
        platform: boomi
        base_url: https://api.boomi.com
        secret_env: "s3cr3t-token value!"
        """,
    )
    errors = failing_import([bad])
    assert errors == [
        f"{bad}:6: platformaccount boomi-prod: secret_env: must be the name of an environment variable "
        "(letters, digits, '_'), never a secret"
    ]


def account_spec(secret_env: str) -> str:
    return f"""
        apiVersion: plumbline/v1
        kind: PlatformAccount
        key: boomi-prod
        platform: boomi
        base_url: https://api.boomi.com
        secret_env: {secret_env}
        """


def test_a_platform_account_naming_secret_key_is_refused_at_its_line(write_spec, stored_estate):
    bad = write_spec("accounts.yaml", account_spec("SECRET_KEY"))
    errors = failing_import([bad])
    assert errors == [
        f"{bad}:6: platformaccount boomi-prod: secret_env: SECRET_KEY is a variable Plumbline itself reads, "
        "never a credential: keep the credential in PLUMBLINE_CRED_<NAME>"
    ]
    assert snapshot() == stored_estate
    assert not PlatformAccount.objects.filter(key="boomi-prod").exists()


@pytest.mark.parametrize(
    "name",
    ["DATABASE_URL", "REDIS_URL", "EMAIL_HOST_PASSWORD", "PLUMBLINE_PING_KEY", "PLUMBLINE_WEBHOOK_FINANCE_ALERTS"],
)
def test_no_variable_plumbline_reads_is_taken_as_a_credential(write_spec, stored_estate, name):
    bad = write_spec("accounts.yaml", account_spec(name))
    errors = failing_import([bad])
    assert errors == [
        f"{bad}:6: platformaccount boomi-prod: secret_env: {name} is a variable Plumbline itself reads, "
        "never a credential: keep the credential in PLUMBLINE_CRED_<NAME>"
    ]
    assert snapshot() == stored_estate


def test_the_prefix_setting_itself_is_refused_though_it_has_the_prefix(write_spec, stored_estate):
    bad = write_spec("accounts.yaml", account_spec("PLUMBLINE_CRED_PREFIX"))
    errors = failing_import([bad])
    assert errors == [
        f"{bad}:6: platformaccount boomi-prod: secret_env: PLUMBLINE_CRED_PREFIX is a variable Plumbline itself "
        "reads, never a credential: keep the credential in PLUMBLINE_CRED_<NAME>"
    ]


def test_a_secret_env_without_the_credential_prefix_is_refused(write_spec, stored_estate):
    bad = write_spec("accounts.yaml", account_spec("BOOMI_PROD_TOKEN"))
    errors = failing_import([bad])
    assert errors == [
        f"{bad}:6: platformaccount boomi-prod: secret_env: BOOMI_PROD_TOKEN does not start with PLUMBLINE_CRED_: "
        "credentials are read only from variables named PLUMBLINE_CRED_<NAME>; rename the variable"
    ]
    assert snapshot() == stored_estate


def test_the_bare_prefix_is_not_a_variable_name(write_spec, stored_estate):
    bad = write_spec("accounts.yaml", account_spec("PLUMBLINE_CRED_"))
    errors = failing_import([bad])
    assert errors == [
        f"{bad}:6: platformaccount boomi-prod: secret_env: PLUMBLINE_CRED_ is only the prefix: "
        "credentials are read from variables named PLUMBLINE_CRED_<NAME>"
    ]


def test_a_secret_env_with_the_credential_prefix_is_imported(write_spec, stored_estate):
    good = write_spec("accounts.yaml", account_spec("PLUMBLINE_CRED_BOOMI_PROD"))
    import_paths([str(good)])
    assert PlatformAccount.objects.get(key="boomi-prod").secret_env == "PLUMBLINE_CRED_BOOMI_PROD"


def test_the_credential_prefix_is_a_setting(write_spec, stored_estate, settings):
    settings.PLUMBLINE_CRED_PREFIX = "ACME_PLATFORM_"
    bad = write_spec("bad.yaml", account_spec("PLUMBLINE_CRED_BOOMI_PROD"))
    assert failing_import([bad]) == [
        f"{bad}:6: platformaccount boomi-prod: secret_env: PLUMBLINE_CRED_BOOMI_PROD does not start with "
        "ACME_PLATFORM_: credentials are read only from variables named ACME_PLATFORM_<NAME>; rename the variable"
    ]
    good = write_spec("good.yaml", account_spec("ACME_PLATFORM_BOOMI"))
    import_paths([str(good)])
    assert PlatformAccount.objects.get(key="boomi-prod").secret_env == "ACME_PLATFORM_BOOMI"


def test_a_wide_prefix_still_never_reaches_plumblines_own_variables(write_spec, stored_estate, settings):
    settings.PLUMBLINE_CRED_PREFIX = "PLUMBLINE_"
    bad = write_spec("accounts.yaml", account_spec("PLUMBLINE_WEBHOOK_SECRET"))
    assert failing_import([bad]) == [
        f"{bad}:6: platformaccount boomi-prod: secret_env: PLUMBLINE_WEBHOOK_SECRET is a variable Plumbline itself "
        "reads, never a credential: keep the credential in PLUMBLINE_<NAME>"
    ]


def test_health_account_must_match_the_health_kind(write_spec, stored_estate):
    bad = write_spec(
        "estate.yaml",
        """
        apiVersion: plumbline/v1
        kind: Integration
        key: shopify-orders-to-netsuite
        health: {kind: boomi, account: celigo-prod, ref: abc}
        """,
    )
    errors = failing_import([bad])
    assert errors == [
        f"{bad}:4: integration shopify-orders-to-netsuite: health.account: is a celigo account but health.kind is boomi"
    ]


def test_a_field_given_twice_is_an_error(write_spec, stored_estate):
    bad = write_spec("p.yaml", GOOD_PERSON.lstrip("\n") + "name: Other Name\n")
    errors = failing_import([bad])
    assert errors == [f"{bad}:5: person new.person@example.com: name: is given twice"]


def test_missing_path_is_an_error(tmp_path, stored_estate):
    errors = failing_import([tmp_path / "nope.yaml"])
    assert errors == [f"{tmp_path / 'nope.yaml'}:0: no such file or folder"]


def test_command_prints_every_error_and_fails(write_spec, stored_estate, capsys):
    bad = write_spec("p.yaml", "apiVersion: plumbline/v1\nkind: Person\nkey: NotAnEmail\n")
    with pytest.raises(CommandError, match="1 error"):
        call_command("import_specs", str(bad))
    assert f"{bad}:3: person NotAnEmail: key: must be an email address" in capsys.readouterr().err
    assert snapshot() == stored_estate


NUL = "contains a NUL character (\\u0000), which cannot be stored"


def test_yaml_escapes_that_no_database_can_store_are_refused_at_their_field(write_spec, stored_estate):
    # YAML's double-quoted "\0" escape makes text PostgreSQL cannot hold. (A "\ud800" escape is
    # refused by libyaml as invalid YAML already; the checks refuse it too, as API bodies show.)
    bad = write_spec(
        "estate.yaml",
        r"""
        apiVersion: plumbline/v1
        kind: Integration
        key: shopify-orders-to-netsuite
        name: "Shopify\0orders"
        description: "first line\0"
        data_objects: ["order", "line\0item"]
        documentation: "https://example.com/\0"
        mappings:
          - {source: "order\0id", target: salesOrder.externalId}
        """,
    )
    errors = failing_import([bad])
    subject = f"{bad}:%d: integration shopify-orders-to-netsuite"
    assert errors == [
        f"{subject % 4}: name: {NUL}",
        f"{subject % 5}: description: {NUL}",
        f"{subject % 6}: data_objects: item 2 {NUL}",
        f"{subject % 7}: documentation: {NUL}",
        f"{subject % 9}: mappings[0].source: {NUL}",
    ]
    assert snapshot() == stored_estate


@pytest.mark.parametrize(
    ("written", "message"),
    [
        (".inf", "must be a number of hours, 0 or more"),
        (".nan", "must be a number of hours, 0 or more"),
        ("1.0e+300", "is too large (at most 1,000,000 hours)"),
    ],
)
def test_hours_that_are_not_a_finite_number_of_hours_are_refused(write_spec, stored_estate, written, message):
    bad = write_spec(
        "estate.yaml",
        f"""
        apiVersion: plumbline/v1
        kind: Integration
        key: shopify-orders-to-netsuite
        build_estimate_hours: {written}
        """,
    )
    errors = failing_import([bad])
    assert errors == [f"{bad}:4: integration shopify-orders-to-netsuite: build_estimate_hours: {message}"]
    assert snapshot() == stored_estate
