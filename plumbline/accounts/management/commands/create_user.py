"""manage.py create_user EMAIL --role viewer|owner|admin [--password P]"""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_email
from django.db import transaction

from plumbline.accounts.roles import ROLES, assign_role


class Command(BaseCommand):
    help = (
        "Create a user (username = email) with a role, or change an existing user's role. "
        "Without --password a new user gets a generated password, printed once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument("--role", required=True, choices=ROLES)
        parser.add_argument("--password", help="Set this password (default: generate one for a new user).")

    def handle(self, *args: Any, email: str, role: str, password: str | None, **options: Any) -> None:
        email = email.strip().lower()
        try:
            validate_email(email)
        except ValidationError:
            raise CommandError(f"{email!r} is not an email address") from None
        User = get_user_model()
        with transaction.atomic():
            user, created = User.objects.get_or_create(username=email, defaults={"email": email})
            generated = None
            if password is None and created:
                password = generated = secrets.token_urlsafe(16)
            if password is not None:
                try:
                    validate_password(password, user)
                except ValidationError as error:
                    raise CommandError(" ".join(error.messages)) from None
                user.set_password(password)
            user.email = email
            user.save()
            assign_role(user, role)
        self.stdout.write(f"{'Created' if created else 'Updated'} {email} with role {role}.")
        if generated:
            self.stdout.write(f"Password: {generated}")
