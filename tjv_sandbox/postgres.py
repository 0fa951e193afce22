"""A private PostgreSQL cluster for the sandbox, in a data directory of its own.

Uses the system's PostgreSQL binaries (Debian's /usr/lib/postgresql/N/bin, or PATH, or the pip-installed
``pgserver`` package) of a server that has pg_cron, which the migrations need as Supabase provides it. PostgreSQL refuses to run as root, so when the
sandbox runs as root the cluster runs as the ``postgres`` system user (or ``nobody``).

The server is a child of the sandbox process and dies with it (PR_SET_PDEATHSIG), so a sandbox killed
with SIGKILL leaves no orphan behind; PostgreSQL's own crash recovery makes the next start lose nothing.
"""

from __future__ import annotations

import contextlib
import ctypes
import glob
import logging
import os
import pwd
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from .keys import write_secret

log = logging.getLogger(__name__)

SUPERUSER = "postgres"
DATABASE = "postgres"
_PR_SET_PDEATHSIG = 1


class PostgresError(RuntimeError):
    """The cluster could not be created, started or reached."""


def find_pg_bin() -> Path:
    """Directory holding initdb and postgres; PostgresError naming what to install when none is found."""
    override = os.environ.get("TJV_PG_BIN")
    candidates: list[Path] = [Path(override)] if override else []
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name), reverse=True
    )
    candidates += [Path(p) for p in versions]
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(os.path.realpath(on_path)).parent)
    with contextlib.suppress(ImportError):
        import pgserver  # type: ignore[import-not-found]

        candidates.append(Path(pgserver.__file__).parent / "pginstall" / "bin")
    for c in candidates:
        if (c / "initdb").exists() and (c / "postgres").exists() and _has_pg_cron(c):
            return c
    raise PostgresError(
        "No PostgreSQL server binaries with pg_cron found. Install the server and Debian's pg_cron "
        "(apt-get install postgresql postgresql-15-cron, as scripts/bootstrap.sh does), or set TJV_PG_BIN "
        "to the folder holding initdb of a server that has pg_cron."
    )


def _has_pg_cron(bin_dir: Path) -> bool:
    pg_config = bin_dir / "pg_config"
    if pg_config.exists():
        libdir = subprocess.run([str(pg_config), "--pkglibdir"], capture_output=True, text=True).stdout.strip()
        if libdir:
            return (Path(libdir) / "pg_cron.so").exists()
    return (bin_dir.parent / "lib" / "pg_cron.so").exists()


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _run_as() -> pwd.struct_passwd | None:
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise PostgresError("Running as root and no 'postgres' or 'nobody' user exists to run PostgreSQL as.")


def _child_setup(user: pwd.struct_passwd | None):
    parent = os.getpid()

    def setup() -> None:
        os.setsid()
        if user is not None:
            os.setgroups([])
            os.setgid(user.pw_gid)
            os.setuid(user.pw_uid)
        # Die with the sandbox: SIGINT asks the postmaster for a fast shutdown. Set after the uid change,
        # which would clear it; the signal fires when the thread that started us ends, so start
        # PostgreSQL from a long-lived thread (the event loop's), not a pool worker.
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGINT)
        if os.getppid() != parent:
            os._exit(1)

    return setup


@dataclass
class ClusterInfo:
    host: str
    port: int
    password: str

    def dsn(self, user: str = SUPERUSER, database: str = DATABASE, password: str | None = None) -> str:
        pw = self.password if password is None else password
        # The loopback cluster has no TLS: skipping the SSL request also spares asyncpg's unretrieved
        # "unexpected connection_lost()" errors when a connect is cancelled mid-handshake.
        return f"postgresql://{user}:{pw}@{self.host}:{self.port}/{database}?sslmode=disable"


class PostgresCluster:
    """Owns one PostgreSQL cluster under ``root`` (``root/pgdata``, sockets in ``root/run``)."""

    def __init__(self, root: Path, host: str = "127.0.0.1", port: int | None = None):
        self.root = Path(root).resolve()
        self.pgdata = self.root / "pgdata"
        self.rundir = self.root / "run"
        self.host = host
        self.port = port
        self.proc: subprocess.Popen | None = None
        self._user = _run_as()
        self._bin = find_pg_bin()
        self._password_file = self.root / "superuser.secret"

    @property
    def initialized(self) -> bool:
        return (self.pgdata / "PG_VERSION").exists()

    def _chown(self, path: Path) -> None:
        if self._user is not None:
            os.chown(path, self._user.pw_uid, self._user.pw_gid)

    def _password(self) -> str:
        if not self._password_file.exists():
            write_secret(self._password_file, secrets.token_urlsafe(24))
        return self._password_file.read_text().strip()

    def init(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if self._user is not None:
            blocked = unreachable_parent(self.root, self._user)
            if blocked is not None:
                raise PostgresError(
                    f"PostgreSQL runs as user {self._user.pw_name}, which cannot enter {blocked} "
                    f"(mode {blocked.stat().st_mode & 0o777:04o}): run chmod o+x {blocked}, "
                    "or choose a --data-dir outside it")
            # The cluster's user must be able to reach its folders.
            self.root.chmod(self.root.stat().st_mode | 0o711)
        self.rundir.mkdir(exist_ok=True)
        self._chown(self.rundir)
        if self.initialized:
            return
        if self.pgdata.exists() and any(self.pgdata.iterdir()):
            raise PostgresError(f"{self.pgdata} exists but is not a PostgreSQL data directory")
        self.pgdata.mkdir(exist_ok=True)
        self.pgdata.chmod(0o700)
        self._chown(self.pgdata)
        pwfile = self.rundir / "initdb.pw"
        pwfile.unlink(missing_ok=True)
        write_secret(pwfile, self._password() + "\n")
        self._chown(pwfile)
        try:
            result = subprocess.run(
                [
                    str(self._bin / "initdb"), "-D", str(self.pgdata), "-U", SUPERUSER,
                    "--pwfile", str(pwfile), "--auth-local=scram-sha-256", "--auth-host=scram-sha-256",
                    "--encoding=UTF8", "--locale=C.UTF-8" if _has_c_utf8() else "--no-locale",
                ],
                preexec_fn=_child_setup(self._user), capture_output=True, text=True, cwd=self.rundir,
            )
        finally:
            pwfile.unlink(missing_ok=True)
        if result.returncode != 0:
            raise PostgresError(
                f"initdb failed for {self.pgdata}: {result.stderr.strip() or result.stdout.strip()}"
                + (
                    f" (it runs as user {self._user.pw_name}, which must be able to traverse every parent "
                    "folder of the data directory)" if self._user else ""
                )
            )
        with open(self.pgdata / "postgresql.conf", "a") as conf:
            conf.write(
                "\n# tjv-sandbox\n"
                "wal_level = logical\n"
                "max_replication_slots = 16\n"
                "max_wal_senders = 16\n"
                "max_connections = 200\n"
                "shared_buffers = 128MB\n"
                "synchronous_commit = on\n"
                "fsync = on\n"
                "log_min_messages = warning\n"
                "timezone = 'UTC'\n"
            )

    def start(self, timeout: float = 30.0) -> ClusterInfo:
        """Initialises if needed, starts and waits until PostgreSQL accepts connections."""
        self.prepare(timeout)
        self.launch()
        return self.wait_ready(timeout)

    def prepare(self, timeout: float = 30.0) -> None:
        """The slow, blocking part before a start (initdb; a previous postmaster finishing)."""
        self.init()
        self._wait_for_previous_postmaster(timeout)

    def launch(self) -> None:
        """Starts the postmaster. Call from a thread that lives as long as the cluster (see _child_setup)."""
        self.port = self.port or free_port(self.host)
        # Owner-only from creation: the log can hold statements with patient data.
        logfile = os.fdopen(os.open(self.root / "postgres.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "ab")
        os.chmod(self.root / "postgres.log", 0o600)  # a log left by an older sandbox was 0644
        self._chown(self.root / "postgres.log")
        self.proc = subprocess.Popen(
            [
                str(self._bin / "postgres"), "-D", str(self.pgdata),
                "-c", f"listen_addresses={self.host}", "-c", f"port={self.port}",
                "-c", f"unix_socket_directories={self.rundir}",
                # Debian's pg_cron, preloaded as on every Supabase project: the escalation job of the
                # migrations runs in the database the sandbox serves. Background workers, so its jobs
                # need no password of their own. On the command line, so older data folders get it too.
                "-c", "shared_preload_libraries=pg_cron", "-c", f"cron.database_name={DATABASE}",
                "-c", "cron.use_background_workers=on", "-c", "cron.log_min_messages=warning",
            ],
            preexec_fn=_child_setup(self._user), stdout=logfile, stderr=subprocess.STDOUT,
            cwd=self.rundir,
        )
        logfile.close()

    def wait_ready(self, timeout: float = 30.0) -> ClusterInfo:
        assert self.proc is not None, "launch() first"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise PostgresError(f"PostgreSQL exited at start:\n{self.log_tail()}")
            if self._accepting():
                return self.info
            time.sleep(0.05)
        self.stop()
        raise PostgresError(f"PostgreSQL did not accept connections within {timeout:.0f} s:\n{self.log_tail()}")

    @property
    def info(self) -> ClusterInfo:
        assert self.port is not None
        return ClusterInfo(self.host, self.port, self._password())

    def _accepting(self) -> bool:
        result = subprocess.run(
            [str(self._bin / "pg_isready"), "-q", "-h", self.host, "-p", str(self.port), "-t", "1"],
            capture_output=True,
        )
        return result.returncode == 0

    def _wait_for_previous_postmaster(self, timeout: float) -> None:
        """A sandbox killed a moment ago may leave its postmaster finishing its shutdown."""
        pidfile = self.pgdata / "postmaster.pid"
        deadline = time.monotonic() + timeout
        while pidfile.exists() and time.monotonic() < deadline:
            try:
                pid = int(pidfile.read_text().splitlines()[0])
                os.kill(pid, 0)
            except (ValueError, IndexError, ProcessLookupError, PermissionError):
                return
            time.sleep(0.1)

    def stop(self, timeout: float = 30.0) -> None:
        """Fast shutdown: active transactions roll back, committed data is on disk."""
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGQUIT)
            proc.wait(10)

    def restart(self) -> ClusterInfo:
        self.stop()
        return self.start()

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join((self.root / "postgres.log").read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def unreachable_parent(path: Path, user: pwd.struct_passwd) -> Path | None:
    """The first folder above ``path`` that ``user`` (with only its primary group, as the cluster runs)
    cannot traverse, or None."""
    for folder in reversed(path.parents):
        st = folder.stat()
        if st.st_uid == user.pw_uid:
            bit = stat.S_IXUSR
        elif st.st_gid == user.pw_gid:
            bit = stat.S_IXGRP
        else:
            bit = stat.S_IXOTH
        if not st.st_mode & bit:
            return folder
    return None


def _has_c_utf8() -> bool:
    result = subprocess.run(["locale", "-a"], capture_output=True, text=True)
    return any(name.lower() in ("c.utf8", "c.utf-8") for name in result.stdout.split())
