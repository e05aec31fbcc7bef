from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

EMAIL = "admin@example.com"


class Command(BaseCommand):
    help = "Create the demo admin account once (password kept in var/demo-admin-password); print the password."

    def handle(self, *args: Any, **options: Any) -> None:
        path = settings.VAR_DIR / "demo-admin-password"
        if not path.exists():
            path.write_text(secrets.token_urlsafe(12))
            path.chmod(0o600)
        password = path.read_text().strip()
        user_model = get_user_model()
        user = user_model.objects.filter(username=EMAIL).first()
        if user is None:
            user = user_model.objects.create_superuser(username=EMAIL, email=EMAIL, password=password)
        elif not user.check_password(password):
            user.set_password(password)
            user.save(update_fields=["password"])
        self.stdout.write(password)
