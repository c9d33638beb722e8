from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from staff import services
from staff.roles import ROLES


class Command(BaseCommand):
    help = (
        "Give a user a role (manager, clerk, warehouse), or take it away with "
        "--remove. Giving a role also lets the user log in to the admin."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("role", choices=sorted(ROLES))
        parser.add_argument("--remove", action="store_true")

    def handle(self, *args, username, role, remove, **options):
        User = get_user_model()
        try:
            user = User.objects.get(username=username)
        except User.DoesNotExist as exc:
            raise CommandError(f"No user named {username!r}.") from exc
        try:
            group = Group.objects.get(name=role)
        except Group.DoesNotExist as exc:
            raise CommandError(f"Role {role!r} is missing; run migrate.") from exc
        roles = set(user.groups.all())
        if remove:
            services.user_roles_set(user=user, roles=roles - {group})
            self.stdout.write(f"{username} is no longer {role}.")
            return
        services.user_roles_set(user=user, roles=roles | {group})
        if not user.is_staff:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
        self.stdout.write(self.style.SUCCESS(f"{username} is now {role}."))
