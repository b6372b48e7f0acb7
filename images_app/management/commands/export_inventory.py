"""Write every asset, with its PingOne image id, as CSV or JSON: the inventory an operator keeps."""

import contextlib
import os
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from images_app import inventory


class Command(BaseCommand):
    help = "Write every asset (environment, status, PingOne image id, href, timestamps) as CSV or JSON."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=inventory.FORMATS, default="csv")
        parser.add_argument("--output", metavar="FILE", help="Write here instead of to standard output")

    def handle(self, format, output, **options):
        if not output:
            # The document's own line ends only: no extra newline after each write.
            self.stdout.ending = ""
            count = inventory.export(self.stdout, format)
        else:
            count = self._export_to_file(Path(output), format)
        # On stderr, so that standard output holds the document and nothing else.
        self.stderr.write(f"Exported {count} assets{f' to {output}' if output else ''}.")

    def _export_to_file(self, path, format):
        """Write beside `path` and rename at the end: a failed export never leaves half a file."""
        if not path.parent.is_dir():
            raise CommandError(f"Cannot write {path}: the folder {path.parent} does not exist.")
        try:
            temporary = tempfile.NamedTemporaryFile(
                "w", encoding="utf-8", newline="", dir=path.parent, prefix=f".{path.name}.", delete=False
            )
            try:
                with temporary:
                    count = inventory.export(temporary, format)
                os.replace(temporary.name, path)
            except BaseException:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(temporary.name)
                raise
        except OSError as exc:
            raise CommandError(f"Cannot write {path}: {exc.strerror or exc}.")
        return count
