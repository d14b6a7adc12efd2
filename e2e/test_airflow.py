"""The real program on the real engine and a real API server: one stack, brought up once, then checked,
changed and destroyed. The tests run in file order and each builds on the state the previous left."""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Iterator

import kube
import pytest
from cluster import eventually
from kubernetes import client
from kubernetes.client.exceptions import ApiException
from layout import ENGINE_FIGURES, REPO, VENV
from pulumi_cli import Pulumi, stage_project
from stack_config import AUTOSCALING, CONFIG, DOMAIN, EXPECTED_KINDS, NAMESPACE

SECRET_SIGNATURE = "4dabf18193072939515e22adb298388d"
# The step ops the engine itself does not count as changes (--expect-no-changes): a read is the
# lookup of the existing ingress controller's Service.
NO_CHANGE_OPS = {"same", "read", "discard", "read-replacement"}
SECRETS_DIGEST = "airflow.pulumi.io/secrets-digest"
# Every test here reads the one stack, even those that only look at the cluster.
pytestmark = pytest.mark.usefixtures("stack")


ENGINE_TIMINGS: dict[str, float] = {}


def timed(label: str, command, *args):
    """Runs command(*args), recording its wall time under label for bench (the first run of a label counts)."""
    start = time.monotonic()
    result = command(*args)
    ENGINE_TIMINGS.setdefault(label, round(time.monotonic() - start, 2))
    return result


@pytest.fixture(scope="module")
def stack(pulumi_factory, tmp_path_factory, figures) -> Iterator[Pulumi]:
    project = stage_project(REPO, tmp_path_factory.mktemp("project") / "airflow", VENV)
    pulumi = pulumi_factory(project)
    pulumi.set_config(CONFIG)
    timed("first preview", pulumi.run, "preview")
    timed("up", pulumi.up)
    ENGINE_TIMINGS["resources"] = len(pulumi.export())
    yield pulumi
    figures.append("engine: " + ", ".join(f"{k} {v}" for k, v in ENGINE_TIMINGS.items()))
    ENGINE_FIGURES.parent.mkdir(parents=True, exist_ok=True)
    ENGINE_FIGURES.write_text(json.dumps({"measured": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                                          **ENGINE_TIMINGS}, indent=1) + "\n")


def reveal(value):
    """State values with secrets in plain text (`stack export --show-secrets` keeps them wrapped)."""
    if isinstance(value, dict):
        if SECRET_SIGNATURE in value:
            return reveal(json.loads(value["plaintext"]))
        return {k: reveal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [reveal(v) for v in value]
    return value


def kubernetes_objects(pulumi: Pulumi) -> list[dict]:
    """The Kubernetes objects in the stack's state (not providers, components or Helm releases)."""
    return [
        {**r, "inputs": reveal(r.get("inputs", {})), "outputs": reveal(r.get("outputs", {}))}
        for r in pulumi.export()
        if r["type"].startswith("kubernetes:") and {"apiVersion", "kind"} <= r.get("outputs", {}).keys()
    ]


def live(objects: kube.Objects, resource: dict) -> dict | None:
    out = resource["outputs"]
    meta = out["metadata"]
    return objects.get(out["apiVersion"], out["kind"], meta["name"], meta.get("namespace"))


def in_namespace(objects: kube.Objects, api_version: str, kind: str) -> list[dict]:
    return objects.list(api_version, kind, NAMESPACE)


def worker_statefulset(objects: kube.Objects) -> dict:
    workers = [s for s in in_namespace(objects, "apps/v1", "StatefulSet")
               if any(t["metadata"]["name"] == "logs" for t in s["spec"].get("volumeClaimTemplates", []))]
    assert len(workers) == 1, f"expected one StatefulSet with a 'logs' claim template, found {len(workers)}"
    return workers[0]


def logs_claims(objects: kube.Objects, statefulset: str) -> set[str]:
    return {c["metadata"]["name"] for c in in_namespace(objects, "v1", "PersistentVolumeClaim")
            if c["metadata"]["name"].startswith(f"logs-{statefulset}-")}


def owned(objects: kube.Objects, owner: dict, api_version: str = "v1", kind: str = "Pod") -> list[dict]:
    uid = owner["metadata"]["uid"]
    return [o for o in in_namespace(objects, api_version, kind)
            if any(ref["uid"] == uid for ref in o["metadata"].get("ownerReferences", []))]


def test_preview_right_after_up_is_clean(stack):
    timed("no-op preview", stack.run, "preview", "--expect-no-changes")


def test_refresh_right_after_up_finds_no_drift(stack):
    """What the program sends is what the cluster keeps: no field the API server defaults or rewrites shows as a
    change when the state is read back. The first refresh changes one thing, the engine's and not the program's:
    `up` stores a resource the program only reads (the existing ingress controller's Service, `Service.get`)
    without inputs, and its first refresh records them. From then on refreshes and previews find nothing."""
    first = stack.run("refresh", "--yes", "--diff").stdout
    # The text names each updated resource in its step and again in the summary of changes.
    updated = sorted(set(re.findall(r"~ [\w:/.-]+: \(update\)\s*\[id=[^\]]*\]\s*\[urn=([^\]]+)\]", first)))
    assert [urn.rsplit("::", 1)[-1] for urn in updated] == ["ingress-controller-service"], first[-4000:]
    assert [r.get("external") for r in stack.export() if r["urn"] == updated[0]] == [True]
    stack.run("refresh", "--yes", "--diff", "--expect-no-changes")
    stack.run("preview", "--expect-no-changes")


def test_every_object_exists_with_its_inputs(stack, objects):
    # External resources are the ones the program only read (the ingress controller's Service).
    resources = [r for r in kubernetes_objects(stack) if not r.get("external")]
    missing_kinds = EXPECTED_KINDS - {r["outputs"]["kind"] for r in resources}
    assert not missing_kinds, f"the stack has no object of kind {sorted(missing_kinds)}"
    problems = {}
    for r in resources:
        found = live(objects, r)
        if found is None:
            problems[r["urn"]] = ["not found in the cluster"]
            continue
        wrong = kube.mismatches(kube.as_stored(r["inputs"]), found)
        # skipAwait is the e2e stack's premise: an object without it would have hung `pulumi up`.
        if found["metadata"].get("annotations", {}).get("pulumi.com/skipAwait") != "true":
            wrong.append("metadata.annotations: no pulumi.com/skipAwait")
        if wrong:
            problems[r["urn"]] = wrong
    assert not problems, json.dumps(problems, indent=1)


def test_existing_ingress_and_cert_manager_are_used_not_installed(stack):
    charts = [r["urn"] for r in stack.export() if r["type"].startswith("kubernetes:helm.sh/")]
    assert not charts, f"existing modes must install nothing, found {charts}"


def test_ingress_serves_the_domain_through_the_existing_class_and_issuer(objects):
    ingresses = in_namespace(objects, "networking.k8s.io/v1", "Ingress")
    assert len(ingresses) == 1, [i["metadata"]["name"] for i in ingresses]
    ingress = ingresses[0]
    assert ingress["spec"]["ingressClassName"] == kube.INGRESS_CLASS
    assert [rule["host"] for rule in ingress["spec"]["rules"]] == [DOMAIN]
    assert [tls["hosts"] for tls in ingress["spec"]["tls"]] == [[DOMAIN]]
    issuer = ingress["metadata"]["annotations"]["cert-manager.io/cluster-issuer"]
    assert objects.get("cert-manager.io/v1", "ClusterIssuer", issuer), f"no ClusterIssuer {issuer}"


def test_outputs_name_the_domain_the_load_balancer_and_the_login(stack, objects):
    outputs = stack.outputs()
    password = outputs.pop("adminPassword")
    assert outputs == {
        "namespace": NAMESPACE,
        "url": f"https://{DOMAIN}",
        # Read from the existing controller's Service status, which the harness wrote.
        "loadBalancerAddress": kube.LOAD_BALANCER_IP,
        "issuer": "airflow-e2e-self-signed",
        "ingressNamespace": kube.INGRESS_NAMESPACE,
        "workerLogsVolume": "10Gi per worker on the cluster's default StorageClass; a claim is kept on scale-down and "
                            "kept with the StatefulSet",
        "databaseBackups": "PersistentVolumeClaim airflow-database-backups (8Gi on the cluster's default StorageClass, "
                           "kept on destroy): the newest 7 dumps, taken at '0 2 * * *' UTC",
        "adminUser": "admin",
    }
    assert re.fullmatch(r"[A-Za-z0-9]{24}", password), "a generated 24-character password"
    assert secret_value(objects, "airflow-secrets", "admin-password") == password


def test_backups_log_in_with_the_generated_database_password(objects):
    """The generated password reaches the backups' libpq password file through the engine's secret handling."""
    password = secret_value(objects, "airflow-postgresql", "password")
    assert re.fullmatch(r"[A-Za-z0-9]{24,}", password), "a generated password"
    assert secret_value(objects, "airflow-database-backup", "pgpass") == f"*:*:*:airflow:{password}\n"
    assert secret_value(objects, "airflow-database-backup", "pg_service.conf") == (
        f"[airflow]\nhost=airflow-postgresql.{NAMESPACE}.svc\nport=5432\ndbname=airflow\nuser=airflow\n")


def test_namespace_enforces_the_restricted_pod_security_level(api, objects):
    ns = objects.get("v1", "Namespace", NAMESPACE)
    assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    # The label alone proves nothing: ask the admission plugin to judge a Pod that escalates.
    pod = {"metadata": {"name": "escalates"}, "spec": {"containers": [
        {"name": "main", "image": "busybox:1.37", "securityContext": {"allowPrivilegeEscalation": True}}]}}
    with pytest.raises(ApiException) as rejected:
        client.CoreV1Api(api).create_namespaced_pod(NAMESPACE, pod, dry_run="All")
    assert rejected.value.status == 403
    assert 'violates PodSecurity "restricted' in json.loads(rejected.value.body)["message"]


def test_every_pod_the_controllers_create_is_admitted(objects):
    workloads = [w for kind in ("Deployment", "StatefulSet") for w in in_namespace(objects, "apps/v1", kind)]
    workloads += in_namespace(objects, "batch/v1", "Job")
    assert workloads, "no workload in the namespace"

    def pods_of(workload: dict) -> list[dict]:
        if workload["kind"] != "Deployment":
            return owned(objects, workload)
        return [p for rs in owned(objects, workload, "apps/v1", "ReplicaSet") for p in owned(objects, rs)]

    def without_pods() -> list[str]:
        return [f"{w['kind']}/{w['metadata']['name']}" for w in workloads if not pods_of(w)]

    def refusals() -> list[str]:
        # Controllers retry a refused Pod: a refusal shows as an event, not as an error anywhere else.
        return [e["message"] for e in in_namespace(objects, "v1", "Event")
                if e["reason"] == "FailedCreate" and "PodSecurity" in e["message"]]

    eventually("every workload has a Pod, or one was refused", lambda: refusals() or not without_pods(),
                    timeout_s=120)
    assert not refusals(), refusals()
    assert not without_pods(), without_pods()


def test_worker_statefulset_creates_one_logs_claim_per_replica(objects):
    worker = worker_statefulset(objects)
    name = worker["metadata"]["name"]
    assert worker["spec"]["replicas"] == CONFIG["workerReplicas"]
    eventually(f"logs claim of {name}-0", lambda: logs_claims(objects, name) == {f"logs-{name}-0"})
    assert worker["spec"]["persistentVolumeClaimRetentionPolicy"]["whenScaled"] == "Retain"


def test_a_worker_count_change_previews_only_the_worker_statefulset(stack, objects):
    worker = worker_statefulset(objects)["metadata"]["name"]
    [urn] = [r["urn"] for r in kubernetes_objects(stack)
             if r["outputs"]["kind"] == "StatefulSet" and r["outputs"]["metadata"]["name"] == worker]
    stack.set_config({"workerReplicas": 3})
    try:
        steps = stack.preview_steps()
    finally:
        stack.set_config({"workerReplicas": CONFIG["workerReplicas"]})
    changed = [s for s in steps if s["op"] not in NO_CHANGE_OPS]
    assert [(s["op"], s["urn"]) for s in changed] == [("update", urn)], changed
    assert set(changed[0].get("detailedDiff") or {}) == {"spec.replicas"}, changed[0]


def test_raising_workers_adds_a_logs_claim_and_lowering_keeps_it(stack, api, objects):
    worker = worker_statefulset(objects)
    name = worker["metadata"]["name"]

    def second_claim_created() -> bool:
        # Under podManagementPolicy OrderedReady the controller creates replica 1 only once replica 0
        # is Ready, which only a kubelet would report: the harness reports it instead, so the check
        # holds whichever policy the program picks (Parallel needs none of it).
        for pod in owned(objects, worker):
            kube.mark_ready(api, pod)
        return logs_claims(objects, name) == {f"logs-{name}-0", f"logs-{name}-1"}

    stack.set_config({"workerReplicas": 2})
    stack.up()
    eventually(f"logs claims of {name}-0 and {name}-1", second_claim_created, timeout_s=120)

    stack.set_config({"workerReplicas": 1})
    stack.up()
    # The claim check means something only once the controller has really removed replica 1.
    eventually(f"pod {name}-1 removed", lambda: objects.get("v1", "Pod", f"{name}-1", NAMESPACE) is None,
               timeout_s=120)
    claim = objects.get("v1", "PersistentVolumeClaim", f"logs-{name}-1", NAMESPACE)
    assert claim is not None, f"logs-{name}-1 was deleted on scale-down"
    assert "deletionTimestamp" not in claim["metadata"], claim["metadata"]
    stack.run("preview", "--expect-no-changes")


def airflow_workloads(objects: kube.Objects) -> dict[str, dict]:
    """Every Airflow Deployment and StatefulSet (not the database or broker), by kind/name."""
    return {f"{w['kind']}/{w['metadata']['name']}": w
            for kind in ("Deployment", "StatefulSet") for w in in_namespace(objects, "apps/v1", kind)
            if w["metadata"]["name"].startswith("airflow-")
            and SECRETS_DIGEST in w["spec"]["template"]["metadata"].get("annotations", {})}


def secrets_digests(objects: kube.Objects) -> dict[str, str]:
    return {name: w["spec"]["template"]["metadata"]["annotations"][SECRETS_DIGEST]
            for name, w in airflow_workloads(objects).items()}


def secret_value(objects: kube.Objects, name: str, key: str) -> str:
    return base64.b64decode(objects.get("v1", "Secret", name, NAMESPACE)["data"][key]).decode()


def test_replacing_a_generated_secret_rolls_every_airflow_pod(stack, objects):
    """docs/secrets.md, the JWT secret: `pulumi up --replace` with the URN of secrets-jwt-secret; the pods roll."""
    before = secrets_digests(objects)
    assert {"Deployment/airflow-api-server", "Deployment/airflow-scheduler", "Deployment/airflow-dag-processor",
            "Deployment/airflow-triggerer", "StatefulSet/airflow-worker"} <= set(before), sorted(before)
    old_jwt = secret_value(objects, "airflow-secrets", "jwt-secret")
    [urn] = [r["urn"] for r in stack.export() if r["urn"].endswith("::secrets-jwt-secret")]
    stack.run("up", "--yes", "--skip-preview", "--replace", urn)
    assert secret_value(objects, "airflow-secrets", "jwt-secret") != old_jwt
    after = secrets_digests(objects)
    assert set(after) == set(before)
    assert [name for name in before if after[name] == before[name]] == [], "these pods did not roll"
    stack.run("preview", "--expect-no-changes")


def test_a_fernet_key_rotation_through_the_cli_rolls_the_pods_and_refuses_mistakes(stack, objects):
    """docs/secrets.md, the Fernet key: `pulumi config set --secret fernetKey "$NEW,$OLD"`, `pulumi up`. The optional
    secret key, set encrypted by the real CLI, is what the program reads; a plain or empty value stops the preview
    with the settings' message and changes nothing."""
    old = secret_value(objects, "airflow-secrets", "fernet-key")
    new = base64.urlsafe_b64encode(bytes(range(32))).decode()
    before = secrets_digests(objects)

    stack.run("config", "set", "fernetKey", new)
    refused = stack.run("preview", check=False)
    assert refused.returncode != 0
    assert ("airflow:fernetKey = (plain text): must be stored encrypted: pulumi config set --secret fernetKey ..."
            in refused.stdout + refused.stderr), refused.stdout[-3000:]
    assert new not in refused.stdout + refused.stderr, "the plain-text key was echoed"
    stack.run("config", "set", "--secret", "fernetKey", "")
    refused = stack.run("preview", check=False)
    assert ("airflow:fernetKey = '': is empty: set the value, or remove the key with `pulumi config rm fernetKey`"
            in refused.stdout + refused.stderr), refused.stdout[-3000:]

    stack.run("config", "set", "--secret", "fernetKey", f"{new},{old}")
    stack.up()
    assert secret_value(objects, "airflow-secrets", "fernet-key") == f"{new},{old}"
    after = secrets_digests(objects)
    assert [name for name in before if after[name] == before[name]] == [], "these pods did not roll"
    stack.run("config", "set", "--secret", "fernetKey", new)
    stack.up()
    assert secret_value(objects, "airflow-secrets", "fernet-key") == new
    stack.run("preview", "--expect-no-changes")


def scale_as_keda_does(api, statefulset: str, replicas: int) -> None:
    """What the HPA that KEDA manages does: the scale subresource, under the controller manager's field manager."""
    apps = client.AppsV1Api(api)
    scale = apps.read_namespaced_stateful_set_scale(statefulset, NAMESPACE)
    scale.spec.replicas = replicas
    apps.replace_namespaced_stateful_set_scale(statefulset, NAMESPACE, scale, field_manager="kube-controller-manager")


def test_keda_owns_the_worker_count_once_autoscaling_is_on(stack, api, objects):
    """docs/autoscaling.md: with workerAutoscaling the stack creates KEDA's objects and stops setting the worker count
    once the StatefulSet exists; a count KEDA sets survives a `pulumi up` that changes the StatefulSet, and no preview
    shows it as a change. Turned off, `pulumi up --refresh` gives the count back to workerReplicas."""
    stack.set_config(AUTOSCALING)
    stack.up()
    name = worker_statefulset(objects)["metadata"]["name"]
    scaled = objects.get("keda.sh/v1alpha1", "ScaledObject", "airflow-worker", NAMESPACE)
    assert scaled["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": name}
    assert scaled["spec"]["maxReplicaCount"] == AUTOSCALING["workerMaxReplicas"]
    auth = objects.get("keda.sh/v1alpha1", "TriggerAuthentication", "airflow-worker-autoscaler", NAMESPACE)
    assert auth["spec"]["secretTargetRef"] == [
        {"parameter": "connection", "name": "airflow-worker-autoscaler", "key": "connection"}]
    password = secret_value(objects, "airflow-postgresql", "password")
    assert f"password='{password}'" in secret_value(objects, "airflow-worker-autoscaler", "connection")

    hpa = objects.get("autoscaling/v2", "HorizontalPodAutoscaler", "airflow-api-server", NAMESPACE)
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "airflow-api-server"}

    scale_as_keda_does(api, name, 3)
    stack.run("preview", "--expect-no-changes")
    stack.set_config({"workerTerminationGracePeriod": 601})
    stack.up()
    worker = worker_statefulset(objects)
    assert worker["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] == 601
    assert worker["spec"]["replicas"] == 3, "pulumi up took the worker count back from KEDA"
    stack.run("preview", "--expect-no-changes")

    stack.set_config({"workerAutoscaling": False, "apiServerAutoscaling": False, "workerTerminationGracePeriod": 600})
    stack.run("up", "--yes", "--skip-preview", "--refresh")
    assert objects.get("keda.sh/v1alpha1", "ScaledObject", "airflow-worker", NAMESPACE) is None
    assert objects.get("autoscaling/v2", "HorizontalPodAutoscaler", "airflow-api-server", NAMESPACE) is None
    assert worker_statefulset(objects)["spec"]["replicas"] == CONFIG["workerReplicas"]
    stack.run("preview", "--expect-no-changes")


def test_destroy_removes_everything_but_the_retained(stack, objects):
    resources = kubernetes_objects(stack)
    worker = worker_statefulset(objects)["metadata"]["name"]
    claims = logs_claims(objects, worker)
    timed("destroy", stack.run, "destroy", "--yes")
    # Objects the stack only read (external) or marks retainOnDelete must outlive it.
    kept = [r for r in resources if r.get("external") or r.get("retainOnDelete")]
    for r in kept:
        assert live(objects, r) is not None, f"{r['urn']} was deleted"
    gone = [r for r in resources if r not in kept]
    # skipAwait: deletions are not waited for, and finalizers (the PVC protection, the namespace
    # controller) take their time.
    eventually("every destroyed object gone", lambda: all(live(objects, r) is None for r in gone), timeout_s=120)
    assert logs_claims(objects, worker) == claims, f"worker logs claims before destroy: {sorted(claims)}"
