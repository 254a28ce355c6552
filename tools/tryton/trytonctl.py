"""Set up, seed, start and stop a real Tryton 8.2 server on 127.0.0.1.

Standard library only, so any Python 3.11 runs it (the project's venv or not)::

    python tools/tryton/trytonctl.py setup    # venv + seeded fixture (reused when current)
    python tools/tryton/trytonctl.py start    # copy the fixture, start trytond, print the URL
    python tools/tryton/trytonctl.py status
    python tools/tryton/trytonctl.py stop

Everything lives under ``$TRYTON_WORK`` (default: ``.tryton/`` at the repository
top, git-ignored):

* ``venv/``: trytond, trytond-party and trytond-party-relationship from PyPI;
* ``fixture/``: a seeded SQLite database (``crm.sqlite``) and ``stamp.json``,
  rebuilt when the seed script or the install spec changes, or with ``TRYTON_RESET=1``;
* ``run/``: the instance started by ``start`` (its own copy of the fixture,
  ``trytond.conf``, ``trytond.log``, ``server.json`` with url/db/user/password/pid).

The test suite imports this module and uses :func:`ensure_fixture` and
:class:`TrytonServer` directly, giving each test session a private copy of the
fixture (0.5 s to copy and start instead of about 15 s to init and seed).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
SEED_SCRIPT = HERE / "seed.py"

INSTALL_SPEC = ("trytond==8.2.*", "trytond-party==8.2.*", "trytond-party-relationship==8.2.*")
MODULES = ("party", "party_relationship")
DATABASE = "crm"
ADMIN_LOGIN = "admin"
ADMIN_PASSWORD = "erpsync-admin-pw"
ADMIN_EMAIL = "admin@example.com"
#: Bump to force a fixture rebuild when something outside seed.py changes the data.
FIXTURE_VERSION = 1


def work_dir() -> Path:
    """``$TRYTON_WORK`` or ``.tryton/`` at the repository top."""
    return Path(os.environ.get("TRYTON_WORK") or REPO / ".tryton").resolve()


def log(message: str) -> None:
    print(f"[trytonctl] {message}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def locked(work: Path) -> Iterator[None]:
    """Serialise setup between concurrent test sessions sharing one work dir."""
    work.mkdir(parents=True, exist_ok=True)
    with (work / ".lock").open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def venv_python(work: Path) -> Path:
    return work / "venv" / "bin" / "python"


def ensure_venv(work: Path, timings: dict[str, float] | None = None) -> Path:
    """Create ``work/venv`` with the pinned Tryton packages unless it is current."""
    venv = work / "venv"
    marker = venv / "erpsync-spec.json"
    wanted = json.dumps(INSTALL_SPEC)
    if marker.exists() and marker.read_text() == wanted and (venv / "bin" / "trytond").exists():
        return venv_python(work)
    started = time.monotonic()
    shutil.rmtree(venv, ignore_errors=True)
    log(f"creating {venv} and installing {' '.join(INSTALL_SPEC)}")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet",
                    "--disable-pip-version-check", *INSTALL_SPEC], check=True)
    marker.write_text(wanted)
    if timings is not None:
        timings["venv"] = time.monotonic() - started
    return venv_python(work)


def fixture_stamp() -> dict[str, object]:
    digest = hashlib.sha256(SEED_SCRIPT.read_bytes()).hexdigest()
    return {"version": FIXTURE_VERSION, "install": list(INSTALL_SPEC), "modules": list(MODULES),
            "seed_sha256": digest}


def fixture_is_current(work: Path) -> bool:
    stamp = work / "fixture" / "stamp.json"
    return (stamp.exists() and (work / "fixture" / "db" / f"{DATABASE}.sqlite").exists()
            and json.loads(stamp.read_text()) == fixture_stamp())


def write_config(instance: Path) -> Path:
    """A trytond.conf for a DB directory. The port is left out on purpose: a
    ``[web] listen`` in the file would override ``TRYTOND_WEB__LISTEN``."""
    conf = instance / "trytond.conf"
    conf.write_text(f"[database]\nuri = sqlite://\npath = {instance / 'db'}\nlist = False\n")
    return conf


def ensure_fixture(work: Path | None = None, reset: bool | None = None,
                   timings: dict[str, float] | None = None) -> Path:
    """The directory of a current seeded fixture, building it when needed.

    Returns ``work/fixture`` holding ``db/crm.sqlite``. ``timings`` (if given) is
    filled with seconds per step that ran.
    """
    work = work or work_dir()
    if reset is None:
        reset = os.environ.get("TRYTON_RESET") == "1"
    with locked(work):
        ensure_venv(work, timings)
        if not reset and fixture_is_current(work):
            return work / "fixture"
        build = work / "fixture.build"
        shutil.rmtree(build, ignore_errors=True)
        (build / "db").mkdir(parents=True)
        (build / "db" / f"{DATABASE}.sqlite").touch()  # the SQLite backend refuses a missing file
        conf = write_config(build)
        passfile = build / "passfile"
        passfile.write_text(ADMIN_PASSWORD + "\n")
        started = time.monotonic()
        log("initialising the database (trytond-admin -u party party_relationship)")
        subprocess.run(
            [str(work / "venv" / "bin" / "trytond-admin"), "-c", str(conf), "-d", DATABASE,
             "-u", *MODULES, "--activate-dependencies", "--email", ADMIN_EMAIL],
            env={**os.environ, "TRYTONPASSFILE": str(passfile), "TZ": "UTC"},
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, check=True)
        passfile.unlink()
        if timings is not None:
            timings["init"] = time.monotonic() - started
        server = TrytonServer(work=work, instance=build)
        server.start(timings=timings)
        try:
            started = time.monotonic()
            log("seeding parties over JSON-RPC")
            subprocess.run([str(venv_python(work)), str(SEED_SCRIPT), server.url, DATABASE,
                            ADMIN_LOGIN, ADMIN_PASSWORD], check=True, stdout=subprocess.DEVNULL)
            if timings is not None:
                timings["seed"] = time.monotonic() - started
        finally:
            server.stop()
        # Fold the write-ahead log into the main file so the fixture is one file.
        with contextlib.closing(sqlite3.connect(build / "db" / f"{DATABASE}.sqlite")) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        (build / "stamp.json").write_text(json.dumps(fixture_stamp()))
        target = work / "fixture"
        shutil.rmtree(target, ignore_errors=True)
        build.rename(target)
        return target


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class TrytonServer:
    """One trytond process serving ``instance/db/crm.sqlite`` on 127.0.0.1."""

    work: Path
    instance: Path
    port: int = 0
    process: subprocess.Popen | None = field(default=None, repr=False)
    database: str = DATABASE
    user: str = ADMIN_LOGIN
    password: str = ADMIN_PASSWORD

    @classmethod
    def from_fixture(cls, instance: Path, work: Path | None = None,
                     fixture: Path | None = None) -> TrytonServer:
        """A server on a fresh private copy of the seeded fixture (not started)."""
        work = work or work_dir()
        fixture = fixture or ensure_fixture(work)
        shutil.rmtree(instance / "db", ignore_errors=True)
        (instance / "db").mkdir(parents=True)
        for path in (fixture / "db").glob(f"{DATABASE}.sqlite*"):
            shutil.copy2(path, instance / "db" / path.name)
        return cls(work=work, instance=instance)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def info(self) -> dict[str, object]:
        return {"url": self.url, "database": self.database, "user": self.user,
                "password": self.password,
                "pid": self.process.pid if self.process else None}

    def start(self, port: int | None = None, timeout: float = 30.0,
              timings: dict[str, float] | None = None) -> None:
        """Start trytond (with ``-d``: see the notes, gotcha 1) and wait until it
        answers ``common.server.version``. Keeps the previous port on a restart."""
        if self.running:
            return
        self.port = port or self.port or free_port()
        conf = write_config(self.instance)
        logfile = (self.instance / "trytond.log").open("ab")
        env = {**os.environ, "TZ": "UTC", "TRYTOND_WEB__LISTEN": f"127.0.0.1:{self.port}"}
        started = time.monotonic()
        self.process = subprocess.Popen(
            [str(self.work / "venv" / "bin" / "trytond"), "-c", str(conf), "-d", self.database],
            env=env, stdin=subprocess.DEVNULL, stdout=logfile, stderr=subprocess.STDOUT,
            start_new_session=True)
        logfile.close()
        deadline = started + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"trytond exited with {self.process.returncode}:\n"
                                   + self.log_tail())
            if self.version() is not None:
                if timings is not None:
                    timings["start"] = time.monotonic() - started
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"trytond did not answer within {timeout} s:\n" + self.log_tail())

    def version(self) -> str | None:
        """The server version, or None when nothing answers."""
        body = json.dumps({"id": 0, "method": "common.server.version", "params": []}).encode()
        request = urllib.request.Request(f"{self.url}/rpc/", data=body, method="POST",
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=2) as response:
                return json.loads(response.read())["result"]
        except (OSError, ValueError, KeyError):
            return None

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the process this object started (SIGTERM, then SIGKILL)."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)
        self.process = None

    def log_tail(self, lines: int = 30) -> str:
        path = self.instance / "trytond.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


# ------------------------------------------------------------------ command line


def _run_dir(work: Path) -> Path:
    return work / "run"


def cmd_setup() -> int:
    timings: dict[str, float] = {}
    started = time.monotonic()
    fixture = ensure_fixture(timings=timings)
    timings["total"] = time.monotonic() - started
    print(json.dumps({"fixture": str(fixture),
                      "seconds": {k: round(v, 2) for k, v in timings.items()}}))
    return 0


def cmd_start() -> int:
    work = work_dir()
    if _read_server_json(work):
        log("already running; see `status`")
        return 1
    run = _run_dir(work)
    server = TrytonServer.from_fixture(run, work=work)
    server.start()
    assert server.process is not None
    info = server.info()
    (run / "server.json").write_text(json.dumps(info))
    (work / "url").write_text(server.url + "\n")
    # Detach: the process keeps running after this command returns.
    server.process = None
    print(json.dumps(info))
    return 0


def _read_server_json(work: Path) -> dict | None:
    path = _run_dir(work) / "server.json"
    if not path.exists():
        return None
    info = json.loads(path.read_text())
    pid = info.get("pid")
    cmdline = Path(f"/proc/{pid}/cmdline")
    if not pid or not cmdline.exists() or b"trytond" not in cmdline.read_bytes():
        path.unlink()
        return None
    return info


def cmd_status() -> int:
    info = _read_server_json(work_dir())
    print(json.dumps(info or {"running": False}))
    return 0 if info else 1


def cmd_stop() -> int:
    work = work_dir()
    info = _read_server_json(work)
    if not info:
        log("not running")
        return 0
    pid = int(info["pid"])
    os.kill(pid, signal.SIGTERM)
    for _ in range(100):
        if not Path(f"/proc/{pid}").exists() or _is_zombie(pid):
            break
        time.sleep(0.1)
    else:
        os.kill(pid, signal.SIGKILL)
    (_run_dir(work) / "server.json").unlink(missing_ok=True)
    return 0


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    except (OSError, IndexError):
        return True


COMMANDS = {"setup": cmd_setup, "start": cmd_start, "status": cmd_status, "stop": cmd_stop}


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[1] not in COMMANDS:
        print(__doc__, file=sys.stderr)
        return 2
    return COMMANDS[argv[1]]()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
