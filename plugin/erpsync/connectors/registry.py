"""Which connectors are installed, and making one for a connection.

Connectors register through the ``erpsync_connectors`` hook, built-in ones
exactly like third-party ones::

    pm = get_plugin_manager()
    classes = connector_classes(pm)
    connector = make_connector(classes, connection.connector, connection.config)
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import pluggy

from ..i18n import lazy_gettext
from .base import Connector, ConnectorError

log = logging.getLogger(__name__)


def connector_classes(pm: pluggy.PluginManager,
                      erpsync: Any = None) -> dict[str, type[Connector]]:
    """Connector classes by ``name`` from every ``erpsync_connectors`` answer.

    pluggy calls the most recently registered plugins first, so a plugin
    loaded from an entry point can replace a built-in connector of the same
    name. Answers that are not :class:`Connector` subclasses with a name are
    logged and left out: one broken plugin must not take the others down.
    """
    classes: dict[str, type[Connector]] = {}
    for result in pm.hook.erpsync_connectors(erpsync=erpsync):
        for cls in result or ():
            if not (isinstance(cls, type) and issubclass(cls, Connector) and cls.name):
                log.warning("erpsync_connectors returned %r, which is not a named "
                            "Connector subclass; ignored", cls)
                continue
            if cls.name in classes and classes[cls.name] is not cls:
                log.info("connector %r from %s.%s is overridden by %s.%s", cls.name,
                         cls.__module__, cls.__qualname__, classes[cls.name].__module__,
                         classes[cls.name].__qualname__)
                continue
            classes[cls.name] = cls
    return classes


def make_connector(classes: Mapping[str, type[Connector]], connector_name: str,
                   config: Mapping[str, Any]) -> Connector:
    """An instance of the connector called ``connector_name`` for ``config``.

    Raises :class:`ConnectorError` with a localized message when no installed
    plugin provides that connector (e.g. a connection made with a plugin that
    has since been uninstalled).
    """
    cls = classes.get(connector_name)
    if cls is None:
        installed = ", ".join(sorted(classes)) or "-"
        # Translators: %(name)s is a connector name; %(installed)s lists the installed ones.
        msg = lazy_gettext("The connector “%(name)s” is not installed. Installed connectors: "
                           "%(installed)s.", name=connector_name, installed=installed)
        raise ConnectorError(msg, f"no connector named {connector_name!r}; "
                                  f"installed: {sorted(classes)}")
    return cls(config)
