"""The dialogs of erpsync: the shared import pages (staged list, settings,
preview, import, result, selections) usable by every import source, the ERP
Sync dialogs, and the ASGI app that serves them (:func:`erpsync.ui.asgi.build_app`).

All pages render server-side and work without JavaScript; ``static/erpsync.js``
only enhances them (no inline script, so a strict CSP can be applied).
"""
