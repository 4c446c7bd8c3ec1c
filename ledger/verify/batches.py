"""Batch files for the verifier: read from an archive directory or fetched from an HTTP base
(the API serves `GET /v1/batches/{root}`), then re-hashed here. Nothing in a file is trusted:
its root is recomputed from its readings with ledger.merkle."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

# Re-exported: the passport verifier imports it from here.
from ledger.errors import BatchUnavailable as BatchUnavailable

FORMAT = "essl-batch/1"


def batch_location(archive: str, root_hex: str) -> str:
    """Where the batch with `root_hex` (0x + 64 lower-case hex) lives under `archive`."""
    if archive.startswith(("http://", "https://")):
        base = archive.rstrip("/")
        if not base.endswith("/v1/batches"):
            base += "/v1/batches"
        return f"{base}/{root_hex}"
    return str(Path(archive) / f"{root_hex}.json")


def load_document(location: str, timeout_s: float = 60.0) -> dict[str, Any]:
    """The batch JSON object; raises `BatchUnavailable` (missing, unreachable, not JSON)."""
    try:
        if location.startswith(("http://", "https://")):
            with urllib.request.urlopen(location, timeout=timeout_s) as reply:
                raw = reply.read()
        else:
            raw = Path(location).read_bytes()
    except FileNotFoundError:
        raise BatchUnavailable(location, "missing from the archive") from None
    except urllib.error.HTTPError as exc:
        reason = "missing from the archive" if exc.code == 404 else f"HTTP {exc.code}"
        raise BatchUnavailable(location, reason) from None
    except (OSError, urllib.error.URLError) as exc:
        raise BatchUnavailable(location, f"cannot be read ({exc})") from exc
    try:
        document = json.loads(raw)
    except ValueError as exc:
        raise BatchUnavailable(location, f"not JSON ({exc})") from exc
    if not isinstance(document, dict) or not isinstance(document.get("readings"), list):
        raise BatchUnavailable(location, "not a batch document (no readings list)")
    return document
