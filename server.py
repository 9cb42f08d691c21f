"""WSGI entry point: `waitress-serve server:app` (or any WSGI server running ONE process with threads).

The store is $KGBUILD_STORE (default ./kgbuild-store); $KGBUILD_TOKEN (or its alias $KGBUILD_UPDATE_TOKEN) enables
updates, $KGBUILD_TIMEOUT sets the per-query timeout in seconds. One process only: it owns the store read-write, so
a second process could not open it.
"""

from __future__ import annotations

import os

from kgbuild.endpoint import create_app
from kgbuild.store import default_location, env_token

app = create_app(
    default_location(),
    token=env_token(),
    timeout=float(os.environ.get("KGBUILD_TIMEOUT", "30")),
    allow_service_hosts=tuple(h for h in os.environ.get("KGBUILD_SERVICE_HOSTS", "").split(",") if h),
    base_url=os.environ.get("KGBUILD_BASE_URL", "http://localhost:5000/"),  # the public URL (see README)
)
