"""Who may do what through the API: the roles of plumbline.accounts.roles, plus read-only
tokens, which never write."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from catalog.ownership import can_edit
from plumbline.accounts.roles import can_view, is_admin


class ReadAnyRole(BasePermission):
    """Any role reads; writes are refused unless a subclass allows them (the API default)."""

    message = "Your account has no Plumbline role."

    def has_permission(self, request: Request, view: Any) -> bool:
        if not can_view(request.user):
            return False
        if request.method in SAFE_METHODS:
            return True
        if getattr(request.auth, "read_only", False):
            self.message = "This API token is read-only."
            return False
        self.message = "Your role does not allow changing this."
        return self.may_write(request.user)

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        self.message = "Your role does not allow changing this."
        return self.may_write_object(request.user, obj)

    def may_write(self, user: Any) -> bool:
        return False

    def may_write_object(self, user: Any, obj: Any) -> bool:
        return False


class WriteAdmin(ReadAnyRole):
    """Admins write (people, platform accounts, go-lives)."""

    def may_write(self, user: Any) -> bool:
        return is_admin(user)

    def may_write_object(self, user: Any, obj: Any) -> bool:
        return is_admin(user)


class WriteOwned(ReadAnyRole):
    """Admins write anything, owners what they own (integrations and systems)."""

    def may_write(self, user: Any) -> bool:
        return can_edit(user)

    def may_write_object(self, user: Any, obj: Any) -> bool:
        return can_edit(user, obj)
