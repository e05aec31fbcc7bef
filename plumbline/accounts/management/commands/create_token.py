"""manage.py create_token EMAIL [--read-only] [--expires-days N] [--name NAME]"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from plumbline.accounts.roles import role_of
from plumbline.accounts.tokens import create_token


class Command(BaseCommand):
    help = "Create an API token for a user and print it once; use it as 'Authorization: Token <token>'."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument("--read-only", action="store_true", help="Allow only GET, HEAD and OPTIONS.")
        parser.add_argument("--expires-days", type=int, help="Expire after this many days (default: never).")
        parser.add_argument("--name", default="", help="What the token is for.")

    def handle(
        self,
        *args: Any,
        email: str,
        read_only: bool,
        expires_days: int | None,
        name: str,
        **options: Any,
    ) -> None:
        if expires_days is not None and expires_days < 1:
            raise CommandError("--expires-days must be 1 or more")
        user = get_user_model().objects.filter(username=email.strip().lower()).first()
        if user is None:
            raise CommandError(f"no user {email!r}; create it first with create_user")
        if role_of(user) is None:
            raise CommandError(f"{email} has no role; give one with create_user --role")
        token, raw = create_token(user, name=name, read_only=read_only, expires_days=expires_days)
        if options["verbosity"] > 0:
            scope = "read-only" if token.read_only else "read-write"
            until = f" until {token.expires_at:%Y-%m-%d %H:%M} UTC" if token.expires_at else ""
            self.stderr.write(f"Created a {scope} token {token.prefix}… for {email}{until}. It is shown only once.")
        self.stdout.write(raw)
