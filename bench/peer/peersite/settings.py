"""The peer's tiny Django project: one app (crm), SQLite at $PEER_DB."""

import os

SECRET_KEY = "benchmark-only"
DEBUG = False
USE_TZ = True
INSTALLED_APPS = ["import_export", "crm"]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3",
                         "NAME": os.environ.get("PEER_DB", "peer.sqlite")}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
