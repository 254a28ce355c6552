"""The plugin manager: built-in plugins first, then entry points."""

from __future__ import annotations

import importlib

import pluggy

from . import PROJECT_NAME, hookspecs

#: Built-in features, registered exactly as third-party plugins are.
DEFAULT_PLUGINS: tuple[str, ...] = (
    "erpsync.defaults",
    "erpsync.connectors.workbook",
    "erpsync.connectors.tryton",
    "erpsync.connectors.remote",
    "erpsync.sources.erp",
    "erpsync.sources.file",
)


def get_plugin_manager(load_entry_points: bool = True) -> pluggy.PluginManager:
    """A plugin manager with erpsync's hookspecs, the built-in plugins and any
    plugins installed under the ``erpsync`` entry-point group."""
    pm = pluggy.PluginManager(PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    for name in DEFAULT_PLUGINS:
        pm.register(importlib.import_module(name), name=name)
    if load_entry_points:
        pm.load_setuptools_entrypoints(PROJECT_NAME)
    pm.check_pending()
    return pm
