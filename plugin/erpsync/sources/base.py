"""What an import source tells the **Select an import source** screen."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class ImportSource:
    """One button on the **Select an import source** screen.

    ``url`` and ``icon`` are paths inside the erpsync ASGI app (the host
    prefixes its mount point). A disabled source says why (``disabled_reason``)
    and where to fix it (``disabled_link`` with ``disabled_link_label``).
    """

    key: str
    label: Any  # LazyString
    url: str
    icon: str | None = None
    description: Any = None
    order: int = 100
    enabled: bool = True
    disabled_reason: Any = None
    disabled_link: str | None = None
    disabled_link_label: Any = None
