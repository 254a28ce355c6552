"""A host script without a ``__main__`` guard (on purpose): its top-level code
must run once even though staging starts a writer process.

    python stagewriter_host_script.py MARKER_FILE DATABASE_FILE
"""

import sys
from pathlib import Path

from erpsync.connectors.base import ActorType, ErpActor
from erpsync.db import make_engine, metadata
from erpsync.engine import schema, stagewriter  # noqa: F401 - schema declares the tables
from erpsync.engine.api import ImportEngine

with Path(sys.argv[1]).open("a") as marker:
    marker.write("ran\n")
stagewriter.READY_WAIT = 60.0  # the writer takes over, however slow it starts
took_over = []
write = stagewriter.BatchWriter.write


def spy(self, rows):  # type: ignore[no-untyped-def]
    write(self, rows)
    took_over.append(self.by_writer)


stagewriter.BatchWriter.write = spy  # type: ignore[method-assign]
db = make_engine(f"sqlite:///{sys.argv[2]}")
metadata.create_all(db)
engine = ImportEngine(db)
import_id = engine.create_import("erp", 1)
actors = (ErpActor(ActorType.CUSTOMER, f"C{i}", {"NAME": f"Company {i}"})
          for i in range(stagewriter.START_AFTER_ROWS + 3000))
print(engine.stage(import_id, 1, actors).added, any(took_over))
