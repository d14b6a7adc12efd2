"""A throwaway Kubernetes control plane on loopback: etcd, kube-apiserver and kube-controller-manager.

No kubelet and no scheduler run: controllers create Pods (so admission is exercised) but nothing binds
or starts them. Every process listens on 127.0.0.1 only, on ports picked free at start, and all state
(certificates, etcd data, kubeconfig, logs) lives in one temporary directory.
"""

from __future__ import annotations

import json
import socket
import ssl
import subprocess
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

LOOPBACK = "127.0.0.1"
# A virtual range for Service ClusterIPs: addresses only written into objects, never listened on or
# dialled, because no kube-proxy runs.
SERVICE_CIDR = "10.96.0.0/24"
STARTUP_TIMEOUT_S = 120


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def eventually(what: str, probe, timeout_s: float = 60, processes: list[subprocess.Popen] | None = None):
    """Polls probe() until it returns a truthy value, and returns that. A probe that raises counts as
    not yet (its target may still be starting) and its last error is reported on time-out. Fails at
    once if one of processes has exited."""
    deadline = time.monotonic() + timeout_s
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        for p in processes or []:
            if p.poll() is not None:
                raise RuntimeError(f"{what}: {p.args[0]} exited with {p.returncode}")
        try:
            result = probe()
            if result:
                return result
        except Exception as e:
            last_error = e
        time.sleep(0.5)
    raise TimeoutError(f"{what}: not true after {timeout_s} s (last error: {last_error})")


def openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def make_pki(d: Path) -> None:
    """A CA, the API server's serving certificate, an admin client certificate and the service-account
    signing key pair. EC keys because they are generated in milliseconds."""
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl("req", "-x509", *ec, "-keyout", str(d / "ca.key"), "-out", str(d / "ca.crt"),
            "-days", "2", "-subj", "/CN=airflow-e2e-ca")
    leaves = {
        "apiserver": ("/CN=kube-apiserver",
                      f"subjectAltName=IP:{LOOPBACK},DNS:localhost\nextendedKeyUsage=serverAuth"),
        # system:masters is bound to cluster-admin by the API server's bootstrap RBAC policy.
        "admin": ("/O=system:masters/CN=airflow-e2e-admin", "extendedKeyUsage=clientAuth"),
    }
    for name, (subject, extensions) in leaves.items():
        (d / f"{name}.ext").write_text(extensions + "\n")
        openssl("req", "-new", *ec, "-keyout", str(d / f"{name}.key"), "-out", str(d / f"{name}.csr"),
                "-subj", subject)
        openssl("x509", "-req", "-in", str(d / f"{name}.csr"), "-CA", str(d / "ca.crt"),
                "-CAkey", str(d / "ca.key"), "-CAcreateserial", "-days", "2",
                "-extfile", str(d / f"{name}.ext"), "-out", str(d / f"{name}.crt"))
    openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-out", str(d / "sa.key"))
    openssl("pkey", "-in", str(d / "sa.key"), "-pubout", "-out", str(d / "sa.pub"))


def write_kubeconfig(path: Path, server: str, pki: Path) -> None:
    # JSON is YAML, and kubeconfig readers accept it; no YAML writer is needed.
    path.write_text(json.dumps({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "e2e", "cluster": {"server": server,
                                                 "certificate-authority": str(pki / "ca.crt")}}],
        "users": [{"name": "admin", "user": {"client-certificate": str(pki / "admin.crt"),
                                             "client-key": str(pki / "admin.key")}}],
        "contexts": [{"name": "e2e", "context": {"cluster": "e2e", "user": "admin"}}],
        "current-context": "e2e",
    }, indent=2))


@dataclass
class Cluster:
    bin_dir: Path
    work_dir: Path
    processes: list[subprocess.Popen] = field(default_factory=list)

    @property
    def pki(self) -> Path:
        return self.work_dir / "pki"

    @property
    def kubeconfig(self) -> Path:
        return self.work_dir / "kubeconfig"

    def start(self, before_controllers: Callable[[Path], None] | None = None) -> None:
        """Starts the control plane. before_controllers(kubeconfig) runs once the API server is ready and before the
        controller manager starts: what it installs is there before the controllers look, as what a cluster had
        installed long before would be. The garbage collector, for one, only watches the kinds it found at start (it
        rediscovers every 30 s), so a foreground deletion of a kind added later waits that long for it."""
        self.pki.mkdir(parents=True)
        make_pki(self.pki)
        etcd_url = self._start_etcd()
        self.server = f"https://{LOOPBACK}:{self._start_apiserver(etcd_url)}"
        write_kubeconfig(self.kubeconfig, self.server, self.pki)
        eventually("kube-apiserver /readyz", lambda: self.get("/readyz") == "ok", STARTUP_TIMEOUT_S,
                 self.processes)
        if before_controllers:
            before_controllers(self.kubeconfig)
        self._start_controller_manager()
        # The service-account controller filling a namespace proves the controller manager runs its
        # controllers; Pods are only admitted in a namespace whose service account exists.
        eventually("kube-controller-manager",
                 lambda: self.get("/api/v1/namespaces/default/serviceaccounts/default"),
                 STARTUP_TIMEOUT_S, self.processes)

    def stop(self) -> None:
        # One at a time, newest first, so that no component outlives what it talks to.
        while self.processes:
            p = self.processes.pop()
            p.terminate()
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def logs(self) -> str:
        """The last lines of every component's log, for a failure message."""
        tails = []
        for log in sorted(self.work_dir.glob("*.log")):
            lines = log.read_text(errors="replace").splitlines()[-30:]
            tails.append(f"--- {log.name}\n" + "\n".join(lines))
        return "\n".join(tails)

    def get(self, path: str) -> str:
        ctx = ssl.create_default_context(cafile=str(self.pki / "ca.crt"))
        ctx.load_cert_chain(str(self.pki / "admin.crt"), str(self.pki / "admin.key"))
        with urllib.request.urlopen(self.server + path, context=ctx, timeout=5) as r:
            return r.read().decode()

    def _spawn(self, name: str, *args: str) -> None:
        # The child keeps its own copy of the log's descriptor; ours can close at once.
        with open(self.work_dir / f"{name}.log", "wb") as log:
            self.processes.append(subprocess.Popen(
                [str(self.bin_dir / name), *args], stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, cwd=self.work_dir))

    def _start_etcd(self) -> str:
        client, peer = (f"http://{LOOPBACK}:{free_port()}" for _ in range(2))
        self._spawn(
            "etcd", "--name=e2e", f"--data-dir={self.work_dir / 'etcd'}",
            f"--listen-client-urls={client}", f"--advertise-client-urls={client}",
            f"--listen-peer-urls={peer}", f"--initial-advertise-peer-urls={peer}",
            f"--initial-cluster=e2e={peer}",
            # A test cluster is thrown away with its data: skipping fsync takes etcd off the disk's
            # critical path, which on a shared CI machine dominates write latency.
            "--unsafe-no-fsync", "--log-level=warn")
        eventually("etcd /health",
                 lambda: json.load(urllib.request.urlopen(client + "/health", timeout=2))["health"]
                 == "true", STARTUP_TIMEOUT_S, self.processes)
        return client

    def _start_apiserver(self, etcd_url: str) -> int:
        port = free_port()
        pki = self.pki
        self._spawn(
            "kube-apiserver",
            f"--bind-address={LOOPBACK}", f"--advertise-address={LOOPBACK}", f"--secure-port={port}",
            f"--etcd-servers={etcd_url}",
            f"--tls-cert-file={pki / 'apiserver.crt'}", f"--tls-private-key-file={pki / 'apiserver.key'}",
            f"--client-ca-file={pki / 'ca.crt'}", "--anonymous-auth=false",
            "--authorization-mode=RBAC",
            # PodSecurity is on by default; naming it keeps the test's premise visible.
            "--enable-admission-plugins=PodSecurity",
            "--service-account-issuer=https://kubernetes.default.svc",
            f"--service-account-key-file={pki / 'sa.pub'}",
            f"--service-account-signing-key-file={pki / 'sa.key'}",
            f"--service-cluster-ip-range={SERVICE_CIDR}",
            # The default reconciler publishes the advertise address as the kubernetes Service's
            # endpoint, and Endpoints may not hold a loopback address.
            "--endpoint-reconciler-type=none",
            f"--cert-dir={self.work_dir / 'apiserver-certs'}", "--profiling=false")
        return port

    def _start_controller_manager(self) -> None:
        pki = self.pki
        self._spawn(
            "kube-controller-manager",
            f"--kubeconfig={self.kubeconfig}",
            # No serving endpoint: nothing scrapes it, and it would be one more listener.
            "--secure-port=0",
            "--leader-elect=false",
            f"--service-account-private-key-file={pki / 'sa.key'}",
            f"--root-ca-file={pki / 'ca.crt'}",
            f"--service-cluster-ip-range={SERVICE_CIDR}",
            "--profiling=false")
