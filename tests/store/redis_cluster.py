"""A real 3-primary Redis Cluster on loopback, started from redis-server and redis-cli for the tests.

Ports are taken below 55536 so that each node's cluster bus port (port + 10000)
exists too. Each node runs in its own folder (its nodes.conf) without
persistence; ``stop()`` ends the processes this module started, by pid.
"""

from __future__ import annotations

import random
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import redis

NODES = 3


def tools_missing() -> str:
    """Why a cluster cannot be started here ("" when it can)."""
    missing = [tool for tool in ("redis-server", "redis-cli") if shutil.which(tool) is None]
    return f"{' and '.join(missing)} not installed (apt-get install redis-server)" if missing else ""


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _ports() -> list[int]:
    for _ in range(200):
        base = random.randrange(20000, 45000 - NODES)
        ports = list(range(base, base + NODES))
        if all(_free(p) and _free(p + 10000) for p in ports):
            return ports
    raise RuntimeError("no free ports for a Redis Cluster below 55536")


class LocalCluster:
    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="mf-cluster-"))
        self.ports = _ports()
        self.procs: list[subprocess.Popen[bytes]] = []

    @property
    def url(self) -> str:
        return "redis+cluster://" + ",".join(f"127.0.0.1:{p}" for p in self.ports)

    def start(self) -> LocalCluster:
        for port in self.ports:
            folder = self.dir / str(port)
            folder.mkdir()
            self.procs.append(subprocess.Popen(
                ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--cluster-enabled", "yes",
                 "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000", "--save", "",
                 "--appendonly", "no", "--dir", str(folder)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        for port in self.ports:
            self._wait(lambda c: bool(c.ping()), port)
        subprocess.run(["redis-cli", "--cluster", "create", *(f"127.0.0.1:{p}" for p in self.ports),
                        "--cluster-replicas", "0", "--cluster-yes"],
                       check=True, capture_output=True, timeout=60)
        for port in self.ports:
            self._wait(lambda c: c.cluster("info")["cluster_state"] == "ok", port)
        return self

    def _wait(self, ready: object, port: int, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        client = redis.Redis(port=port, socket_connect_timeout=0.5, decode_responses=True)
        try:
            while True:
                try:
                    if ready(client):  # type: ignore[operator]
                        return
                except redis.RedisError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Redis Cluster node 127.0.0.1:{port} not ready after {timeout:g} s")
                time.sleep(0.05)
        finally:
            client.close()

    def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)
