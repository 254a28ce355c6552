"""States of an import and statuses of its staged rows."""

from __future__ import annotations

# import_run.state
STAGING = "staging"  # rows being staged, or settings changed: preview is outdated
PREVIEWED = "previewed"
IMPORTING = "importing"
DONE = "done"
FAILED = "failed"
UNDONE = "undone"  # a done import whose changes were taken back
#: States in which an import is still pending (can be staged, previewed, applied).
PENDING = (STAGING, PREVIEWED)

# staged_actor.status
COMPANY_NEW = "company_new"
COMPANY_UPDATED = "company_updated"
PERSON_NEW = "person_new"
PERSON_UPDATED = "person_updated"
NOT_IMPORTED = "not_imported"

NEW = {"company": COMPANY_NEW, "person": PERSON_NEW}
UPDATED = {"company": COMPANY_UPDATED, "person": PERSON_UPDATED}
