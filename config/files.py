"""Uploaded files that only some people may read (homework, message attachments): never a
public media URL, always through a view that checked who asks."""

import os

from django.http import FileResponse, Http404


def upload_name(name: str) -> str:
    """The name the user sees: the last part of the path, at most 200 characters, the
    extension kept."""
    name = os.path.basename((name or "").replace("\\", "/")).strip() or "file"
    if len(name) > 200:
        stem, ext = os.path.splitext(name)
        name = stem[: 200 - len(ext[:20])] + ext[:20]
    return name


def private_file_response(field_file, name: str) -> FileResponse:
    """The file as a download that no cache keeps; 404 when it is gone from the storage."""
    try:
        handle = field_file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, as_attachment=True, filename=name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
