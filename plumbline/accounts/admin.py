"""Users with their role, and API tokens, in the Django admin (admins only: only they are staff)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest

from plumbline.accounts.models import Profile, Token
from plumbline.accounts.roles import ROLES, assign_role, role_of
from plumbline.accounts.tokens import digest_of, new_raw_token, prefix_of

User = get_user_model()


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    max_num = 1
    min_num = 1


class RoleUserAdmin(UserAdmin):
    inlines = [ProfileInline]
    list_display = ["username", "email", "role", "is_active", "last_login"]
    list_select_related = ["profile"]

    @admin.display(description="role")
    def role(self, obj: Any) -> str:
        return role_of(obj) or "—"

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        # is_staff / is_superuser follow the role, as they do for create_user.
        user = form.instance
        profile = Profile.objects.filter(user=user).first()
        if profile is not None and profile.role in ROLES:
            assign_role(user, profile.role)


if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, RoleUserAdmin)


@admin.register(Token)
class TokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "user", "name", "read_only", "expires_at", "last_used_at", "created_at"]
    list_filter = ["read_only"]
    search_fields = ["prefix", "name", "user__username"]
    list_select_related = ["user"]
    fields = ["user", "name", "read_only", "expires_at", "prefix", "last_used_at", "created_at"]
    readonly_fields = ["prefix", "last_used_at", "created_at"]
    autocomplete_fields = ["user"]

    def save_model(self, request: HttpRequest, obj: Token, form: Any, change: bool) -> None:
        if not change:
            raw = new_raw_token()
            obj.prefix, obj.digest = prefix_of(raw), digest_of(raw)
            messages.warning(request, f"Copy the token now, it is not shown again: {raw}")
        super().save_model(request, obj, form, change)
