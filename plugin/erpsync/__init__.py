"""erpsync: "Import from ERP" for CRM hosts, as a pluggy plugin.

Hosts and plugins use the two markers below::

    from erpsync import hookimpl

    @hookimpl
    def erpsync_connectors():
        return [MyConnector]
"""

import pluggy

__version__ = "0.1.0"

PROJECT_NAME = "erpsync"

#: Marker for hook specifications (used by :mod:`erpsync.hookspecs`).
hookspec = pluggy.HookspecMarker(PROJECT_NAME)
#: Marker for hook implementations, for hosts and plugins alike.
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)

__all__ = ["__version__", "hookimpl", "hookspec", "PROJECT_NAME"]
