"""Upload handlers that stop keeping a file part once it is past the byte limit.

The rest of such a part is read off the wire (the parser must reach the next part) but never
written anywhere; the file then arrives with its full `size`, and the pipeline answers it as
`file_too_large` while the other files of the request are looked at as usual.
"""

from django.conf import settings
from django.core.files.uploadhandler import TemporaryFileUploadHandler


class CappedTemporaryFileUploadHandler(TemporaryFileUploadHandler):
    """Django's temporary-file handler, writing at most PORTAL_MAX_IMAGE_BYTES + 1 bytes a file."""

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.kept = 0

    def receive_data_chunk(self, raw_data, start):
        room = settings.PORTAL_MAX_IMAGE_BYTES + 1 - self.kept
        if room > 0:
            kept = raw_data[:room]
            self.file.write(kept)
            self.kept += len(kept)
        return None  # the chunk stops here: later handlers see nothing of this part

    def file_complete(self, file_size):
        # The size counted on the wire, not what was kept, so the refusal names the real size.
        self.file.seek(0)
        self.file.size = file_size
        return self.file
