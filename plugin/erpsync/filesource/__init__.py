"""The **File** import source's machinery: reading CSV and XLSX files row by
row (:mod:`.reading`), suggesting and checking column mappings
(:mod:`.fields`, :mod:`.synonyms`, :mod:`.mapping`), saved mappings
(:mod:`.saved`, table ``file_mapping`` in :mod:`.schema`), uploads streamed to
the data directory (:mod:`.uploads`), staging a file into the shared engine
(:mod:`.importing`) and the dialogs (:mod:`.dialogs`).

The plugin itself is :mod:`erpsync.sources.file`. Nothing here is known to
the engine or to the ERP Sync source: file imports are ordinary pending
imports (``import_run.source = "file"``) whose staged rows have no connection
(``connection_id`` NULL), so they get no ERP links.
"""
