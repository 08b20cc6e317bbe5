"""An upload handler that refuses an oversized file while it streams in, before it is stored or parsed."""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict

REFUSED_ATTRIBUTE = "upload_refused"


def upload_refusal(request) -> str | None:
    """Why the handler stopped this request's upload, if it did."""
    return getattr(request, REFUSED_ATTRIBUTE, None)


def too_large_message() -> str:
    return f"must be at most {settings.MAX_UPLOAD_BYTES // (1024 * 1024)} MB"


class SizeLimitedUploadHandler(FileUploadHandler):
    """First in FILE_UPLOAD_HANDLERS: stops a body that says it is too large before reading
    it, and a file that turns out too large at the chunk that passes the limit."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if content_length > settings.MAX_UPLOAD_BYTES + 1024 * 1024:  # room for the form's other fields
            setattr(self.request, REFUSED_ATTRIBUTE, too_large_message())
            return QueryDict(), MultiValueDict()  # parse nothing: not one byte of the body is read
        return None

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > settings.MAX_UPLOAD_BYTES:
            self._refuse()
        return raw_data

    def file_complete(self, file_size):
        return None  # the next handler stores the file

    def _refuse(self):
        setattr(self.request, REFUSED_ATTRIBUTE, too_large_message())
        raise StopUpload(connection_reset=True)  # do not read the rest of a huge body
