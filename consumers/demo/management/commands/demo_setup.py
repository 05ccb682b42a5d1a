"""Create the example's demo users (idempotent)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand

DEMO_USERS = {"ann": "ann-demo-pw", "bob": "bob-demo-pw"}


class Command(BaseCommand):
    help = "Create the demo users ann and bob."

    def handle(self, *args: Any, **options: Any) -> None:
        for name, password in DEMO_USERS.items():
            user, created = User.objects.get_or_create(username=name)
            if created:
                user.set_password(password)
                user.save()
        self.stdout.write(f"demo users: {', '.join(DEMO_USERS)}")
