"""The embedded files of the signed revision (ISO 32000-1 §7.11.4): what the signature vouches for.

The licence data travels as an embedded file. It is read from the signed revision, never the
newest one, so no incremental update can change what a verified licence says; `verification`
(the top-level package) reads it from `SignatureVerification.attachments`."""

from __future__ import annotations

import logging
from typing import Any

from pyhanko.pdf_utils.reader import PdfFileReader

from signing.verification.limits import _MAX_ATTACHMENT_BYTES, _MAX_ATTACHMENTS

__all__ = []

logger = logging.getLogger("signing.verification")


def _signed_attachments(reader: PdfFileReader, revision: int) -> tuple[tuple[str, bytes], ...]:
    """Embedded files (ISO 32000-1 §7.11.4) as the signed revision has them: from the
    catalog's /AF array (PDF/A-3 associated files) and the /EmbeddedFiles name tree's top level.
    Later revisions cannot change what this returns."""
    try:
        resolver = reader.get_historical_resolver(revision)
        root = resolver.root
        specs: list[Any] = list(root.get("/AF", ()))[:_MAX_ATTACHMENTS]
        name_dictionary = root.get("/Names")
        names = name_dictionary.get("/EmbeddedFiles") if name_dictionary is not None else None
        if names is not None:
            entries = list(names.get("/Names", ()))[: 2 * _MAX_ATTACHMENTS]
            specs += entries[1::2]
    except Exception:
        return ()
    found: dict[str, bytes] = {}
    for spec in specs[:_MAX_ATTACHMENTS]:
        try:
            spec = spec.get_object()
            name = str(spec.get("/UF", spec.get("/F")))
            stream = spec["/EF"].get("/UF", spec["/EF"].get("/F")).get_object()
            if name in found:
                continue
            data = stream.data
            if len(data) <= _MAX_ATTACHMENT_BYTES:
                found[name] = data
        except Exception as exc:  # a broken file specification is simply not an attachment
            logger.debug("unreadable attachment: %s: %s", type(exc).__name__, exc)
            continue
    return tuple(found.items())
