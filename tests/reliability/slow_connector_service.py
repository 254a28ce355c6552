"""A connector service for the fault tests, run as its own process:

    python slow_connector_service.py --path DIR --port P --delay 0.3 --marks DIR

It serves the Workbook connector on ``DIR`` with the remote connector protocol
(``erpsync.connector_server``), token from ``ERPSYNC_CONNECTOR_TOKEN``. Each
search and by-keys call first writes a file ``<n>.<call>`` into ``--marks`` (so
a test knows a request is being served) and then waits ``--delay`` seconds, so a
test can kill the process while a request is in flight.
"""

from __future__ import annotations

import argparse
import itertools
import os
import time
from pathlib import Path
from typing import Any

import uvicorn

from erpsync.connector_server import TOKEN_ENV, create_connector_app
from erpsync.connectors.workbook import WorkbookConnector

_counter = itertools.count(1)


class SlowWorkbook(WorkbookConnector):
    """The Workbook connector, marking and slowing down every data call."""

    marks: Path
    delay: float

    def _mark(self, call: str) -> None:
        (self.marks / f"{next(_counter)}.{call}").touch()
        time.sleep(self.delay)

    def search(self, *args: Any, **kwargs: Any) -> Any:
        self._mark("search")
        return super().search(*args, **kwargs)

    def get_actors(self, *args: Any, **kwargs: Any) -> Any:
        self._mark("by-keys")
        return super().get_actors(*args, **kwargs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--path", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--marks", required=True)
    args = parser.parse_args()
    SlowWorkbook.marks = Path(args.marks)
    SlowWorkbook.delay = args.delay
    app = create_connector_app(lambda: SlowWorkbook({"path": args.path}),
                               token=os.environ[TOKEN_ENV])
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
