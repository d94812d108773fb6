"""Verify the hash chain of the journal's history (R-MRK-6), per school.

    manage.py journal_verify [--school SLUG]

Prints one line per school: its entries and whether the chain is intact. Exits with 1 when
any chain is broken, so a cron job or a monitoring check can alert on it."""

from django.core.management.base import BaseCommand, CommandError

from accounts.models import School
from journal.history import chain_verify


class Command(BaseCommand):
    help = "Recompute the journal history's hash chain of each school and report breaks."

    def add_arguments(self, parser):
        parser.add_argument("--school", help="the school's slug (default: every school)")

    def handle(self, *args, **options):
        schools = School.objects.order_by("slug")
        if options["school"]:
            schools = schools.filter(slug=options["school"])
            if not schools.exists():
                raise CommandError(f"No school «{options['school']}».")
        broken = []
        for school in schools:
            check = chain_verify(school.pk)
            if check.intact:
                state = self.style.SUCCESS("intact")
            elif check.broken_at is not None:
                state = self.style.ERROR(f"BROKEN from entry {check.broken_at}")
                broken.append(school.slug)
            else:
                state = self.style.ERROR(
                    f"BROKEN after entry {check.entries}: later entries are missing "
                    "or the head was changed"
                )
                broken.append(school.slug)
            self.stdout.write(f"{school.slug}: {check.entries} entries, {state}")
        if broken:
            raise CommandError(f"Broken history chain: {', '.join(broken)}", returncode=1)
