"""Cluster acceptance: the program's objects, rendered under Pulumi's mocks with the e2e stack's configuration, put
through a real API server and real controllers the way `pulumi up` and `pulumi destroy` would put them, without the
Pulumi engine (see README.md for why it is not here yet).

Each object is server-side applied, as the Kubernetes provider does, in an order its dependencies allow, with strict
field validation; then the controllers' Pods, the worker claims, a worker count change and the destroy are checked.
The tests run in file order and each builds on the state the previous left, on a cluster of the module's own.
"""

from __future__ import annotations

import json

import kube
import pytest
from cluster import eventually
from kubernetes import client
from kubernetes.client.exceptions import ApiException
from rendering import WORKLOAD_KINDS, RenderedObject, creation_order, render
from stack_config import AUTOSCALING, AUTOSCALING_KINDS, CONFIG, EXPECTED_KINDS, NAMESPACE

# The field manager the objects are applied under; any name works, there being no other manager of these fields.
FIELD_MANAGER = "airflow-e2e-acceptance"
LOGS_TEMPLATE = "logs"
# Controllers react within a second or two; a loaded CI machine gets the margin.
SETTLE_TIMEOUT_S = 120
WORKERS = CONFIG["workerReplicas"]
# The worker count of the change `pulumi up` would make with one more worker.
MORE_WORKERS = WORKERS + 1


@pytest.fixture(scope="module")
def api(own_cluster):
    return kube.api_client(own_cluster.kubeconfig)


@pytest.fixture(scope="module")
def objects(api):
    return kube.Objects(api)


@pytest.fixture(scope="module")
def renders() -> dict[int, list[RenderedObject]]:
    """The program's objects by worker count: the e2e stack's own, and with one more worker."""
    counts = [WORKERS, MORE_WORKERS]
    return dict(zip(counts, render([{**CONFIG, "workerReplicas": n} for n in counts]), strict=True))


@pytest.fixture(scope="module")
def order(renders) -> list[RenderedObject]:
    """The e2e stack's objects and, applied with them, those KEDA autoscaling adds (its Secret, TriggerAuthentication
    and ScaledObject); the worker count changes below stay the stack's own, as without autoscaling."""
    base = renders[WORKERS]
    known = {o.urn for o in base}
    (autoscaled,) = render([{**CONFIG, **AUTOSCALING}])
    return creation_order(base + [o for o in autoscaled if o.urn not in known])


@pytest.fixture(scope="module")
def outcome(order, api, objects) -> dict[str, dict[str, object]]:
    """Applies every object once, in order, and keeps what the server said: refusals and warnings by object."""
    refused: dict[str, str] = {}
    warned: dict[str, list[str]] = {}
    for o in order:
        try:
            warnings = objects.apply(o.manifest, FIELD_MANAGER)
        except kube.RejectedError as e:
            refused[o.label] = e.message
            continue
        if warnings:
            warned[o.label] = warnings
        if o.kind == "Namespace" and o.object_name == NAMESPACE:
            # The ServiceAccount admission plugin refuses a Pod that names no account until the namespace's
            # `default` one exists, which a controller adds a moment later; a Pod controller retries such a
            # refusal, so it is no finding, and waiting here keeps it out of the events the tests read.
            eventually(f"default service account in {NAMESPACE}",
                       lambda: client.CoreV1Api(api).read_namespaced_service_account("default", NAMESPACE))
    return {"refused": refused, "warned": warned}


def worker(order: list[RenderedObject]) -> RenderedObject:
    found = [o for o in order if o.kind == "StatefulSet"
             and any(t["metadata"]["name"] == LOGS_TEMPLATE for t in o.manifest["spec"].get("volumeClaimTemplates", []))]
    assert len(found) == 1, f"expected one StatefulSet with a {LOGS_TEMPLATE!r} claim template, found {len(found)}"
    return found[0]


def logs_claims(objects: kube.Objects, statefulset: str) -> set[str]:
    return {c["metadata"]["name"] for c in objects.list("v1", "PersistentVolumeClaim", NAMESPACE)
            if c["metadata"]["name"].startswith(f"{LOGS_TEMPLATE}-{statefulset}-")}


def owned(objects: kube.Objects, owner: dict, namespace: str, api_version: str = "v1", kind: str = "Pod") -> list[dict]:
    uid = owner["metadata"]["uid"]
    return [o for o in objects.list(api_version, kind, namespace)
            if any(ref["uid"] == uid for ref in o["metadata"].get("ownerReferences") or [])]


def live(objects: kube.Objects, o: RenderedObject) -> dict | None:
    return objects.get(o.api_version, o.kind, o.object_name, o.namespace)


def test_should_render_every_kind_the_program_always_creates(order, figures):
    missing = (EXPECTED_KINDS | AUTOSCALING_KINDS) - {o.kind for o in order}
    assert not missing, f"the rendered program has no object of kind {sorted(missing)}"
    kinds = sorted({o.kind for o in order})
    figures.append(f"acceptance: {len(order)} objects rendered, of {len(kinds)} kinds: {', '.join(kinds)}")


def test_should_have_every_object_accepted_under_strict_field_validation(outcome, order, figures):
    assert not outcome["refused"], "the API server refused:\n" + json.dumps(outcome["refused"], indent=1)
    assert not outcome["warned"], "the API server warned about:\n" + json.dumps(outcome["warned"], indent=1)
    figures.append(f"acceptance: {len(order)} objects applied with fieldValidation=Strict, none refused or warned about")


def test_should_store_every_object_as_it_was_sent(outcome, order, objects):
    # A field the server does not serve (a disabled feature gate's, a removed one) is dropped without an error.
    problems = {}
    for o in order:
        found = live(objects, o)
        if found is None:
            problems[o.label] = ["not found in the cluster"]
        elif wrong := kube.mismatches(kube.as_stored(o.manifest), found):
            problems[o.label] = wrong
    assert not problems, json.dumps(problems, indent=1)


def test_should_enforce_the_restricted_pod_security_level_in_the_namespace(outcome, api, objects):
    ns = objects.get("v1", "Namespace", NAMESPACE)
    assert ns is not None, f"namespace {NAMESPACE} was not created"
    assert ns["metadata"]["labels"].get("pod-security.kubernetes.io/enforce") == "restricted", ns["metadata"]["labels"]
    # The label alone proves nothing: ask the admission plugin to judge a Pod that escalates.
    pod = {"metadata": {"name": "escalates"}, "spec": {"containers": [
        {"name": "main", "image": "busybox:1.37", "securityContext": {"allowPrivilegeEscalation": True}}]}}
    with pytest.raises(ApiException) as rejected:
        client.CoreV1Api(api).create_namespaced_pod(NAMESPACE, pod, dry_run="All")
    assert rejected.value.status == 403, rejected.value.body
    assert 'violates PodSecurity "restricted' in json.loads(rejected.value.body)["message"]


def job_from(cron_job: dict) -> dict:
    """The Job `kubectl create job <name>-now --from=cronjob/<name>` makes: the template's spec, owned by the CronJob
    (so it goes with it), marked as started by hand."""
    meta = cron_job["metadata"]
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": f"{meta['name']}-now",
            "namespace": meta["namespace"],
            "annotations": {"cronjob.kubernetes.io/instantiate": "manual"},
            "ownerReferences": [{"apiVersion": "batch/v1", "kind": "CronJob", "name": meta["name"], "uid": meta["uid"],
                                 "controller": True}],
        },
        "spec": cron_job["spec"]["jobTemplate"]["spec"],
    }


def test_should_admit_every_pod_the_controllers_create(outcome, order, objects, figures):
    # A CronJob makes Pods only at its schedule (the restore one never): a Job made from each, as an operator makes
    # one, shows that their Pods are admitted too.
    cron_jobs = [c for c in (live(objects, o) for o in order if o.kind == "CronJob") if c is not None]
    assert cron_jobs, "the e2e stack renders no CronJob"
    for cron_job in cron_jobs:
        objects.apply(job_from(cron_job), FIELD_MANAGER)
    workloads = [w for w in (live(objects, o) for o in order if o.kind in WORKLOAD_KINDS - {"CronJob"}) if w is not None]
    workloads += [objects.get("batch/v1", "Job", f"{c['metadata']['name']}-now", NAMESPACE) for c in cron_jobs]
    assert {w["kind"] for w in workloads} >= {"Deployment", "StatefulSet", "Job"}, [w["kind"] for w in workloads]

    def pods_of(w: dict) -> list[dict]:
        ns = w["metadata"]["namespace"]
        if w["kind"] != "Deployment":
            return owned(objects, w, ns)
        return [p for rs in owned(objects, w, ns, "apps/v1", "ReplicaSet") for p in owned(objects, rs, ns)]

    def label(w: dict) -> str:
        return f"{w['kind']} {w['metadata']['namespace']}/{w['metadata']['name']}"

    def refusals() -> list[str]:
        # A controller retries a refused Pod: the refusal shows as an event (and a ReplicaSet condition), nowhere else.
        events = [f"{e['involvedObject']['kind']} {e['involvedObject']['name']}: {e['message']}"
                  for e in objects.list("v1", "Event", NAMESPACE) if e["reason"] == "FailedCreate"]
        conditions = [f"ReplicaSet {rs['metadata']['name']}: {c['message']}"
                      for rs in objects.list("apps/v1", "ReplicaSet", NAMESPACE)
                      for c in (rs.get("status") or {}).get("conditions") or [] if c["type"] == "ReplicaFailure"]
        return events + conditions

    def short() -> dict[str, str]:
        """Workloads with fewer Pods than they ask for (a StatefulSet's whole count, since the worker's policy is
        Parallel and the other StatefulSets run one replica)."""
        wanted = {label(w): (w["spec"].get("parallelism", 1) if w["kind"] == "Job" else w["spec"]["replicas"])
                  for w in workloads}
        have = {label(w): len(pods_of(w)) for w in workloads}
        return {k: f"{have[k]} of {wanted[k]}" for k in wanted if have[k] < wanted[k]}

    eventually("every workload has its Pods, or one was refused", lambda: refusals() or not short(),
               timeout_s=SETTLE_TIMEOUT_S)
    assert not refusals(), "Pods refused:\n" + "\n".join(refusals())
    assert not short(), short()
    pods = sum(len(pods_of(w)) for w in workloads)
    figures.append(f"acceptance: {len(workloads)} workloads, {pods} Pods created by their controllers and admitted "
                   f"under restricted Pod Security")


def test_should_create_one_logs_claim_per_worker_replica(outcome, order, objects, figures):
    w = worker(order)
    replicas = w.manifest["spec"]["replicas"]
    assert replicas == WORKERS, w.label
    expected = {f"{LOGS_TEMPLATE}-{w.object_name}-{i}" for i in range(replicas)}
    eventually(f"logs claims of {w.object_name}", lambda: logs_claims(objects, w.object_name) == expected,
               timeout_s=SETTLE_TIMEOUT_S)
    figures.append(f"acceptance: {len(expected)} logs claim(s) for {replicas} worker(s)")


def test_should_add_a_logs_claim_for_another_worker_and_keep_it_after_scaling_back(renders, order, api, objects,
                                                                                    figures):
    w = worker(order)
    now = {o.urn: o for o in renders[WORKERS]}
    more = {o.urn: o for o in renders[MORE_WORKERS]}
    # What `pulumi up` with one more worker would change: only the worker StatefulSet, only its replica count.
    changed = sorted(urn for urn in now.keys() | more.keys() if now.get(urn) != more.get(urn))
    assert changed == [w.urn], changed
    assert kube.mismatches(now[w.urn].manifest, more[w.urn].manifest) == [
        f".spec.replicas: expected {WORKERS!r}, found {MORE_WORKERS!r}"]
    name = w.object_name
    claims = {f"{LOGS_TEMPLATE}-{name}-{i}" for i in range(MORE_WORKERS)}
    last = f"{name}-{MORE_WORKERS - 1}"

    def claims_created() -> bool:
        # Under OrderedReady the controller would create replica N+1 only once replica N is Ready, which only a
        # kubelet reports: reporting it here keeps the check true whichever policy the program picks.
        statefulset = objects.get("apps/v1", "StatefulSet", name, NAMESPACE)
        for pod in owned(objects, statefulset, NAMESPACE):
            kube.mark_ready(api, pod)
        return logs_claims(objects, name) == claims

    assert not objects.apply(more[w.urn].manifest, FIELD_MANAGER)
    eventually(f"logs claims {sorted(claims)}", claims_created, timeout_s=SETTLE_TIMEOUT_S)

    assert not objects.apply(now[w.urn].manifest, FIELD_MANAGER)
    # The claim check means something only once the controller has really removed the last replica.
    eventually(f"pod {last} removed", lambda: objects.get("v1", "Pod", last, NAMESPACE) is None,
               timeout_s=SETTLE_TIMEOUT_S)
    assert logs_claims(objects, name) == claims
    claim = objects.get("v1", "PersistentVolumeClaim", f"{LOGS_TEMPLATE}-{last}", NAMESPACE)
    assert "deletionTimestamp" not in claim["metadata"], claim["metadata"]
    figures.append(f"acceptance: workers {WORKERS} -> {MORE_WORKERS} -> {WORKERS} left {len(claims)} logs claims: "
                   f"{', '.join(sorted(claims))}")


def test_should_keep_only_the_retained_objects_and_the_worker_claims_on_destroy(order, objects, figures):
    w = worker(order)
    claims = logs_claims(objects, w.object_name)
    # `pulumi destroy`: every object the stack created but those marked retainOnDelete, dependents first, with the
    # provider's foreground cascading deletion; skipAwait, so none is waited for.
    kept = [o for o in order if o.retain_on_delete]
    gone = [o for o in reversed(order) if not o.retain_on_delete]
    assert kept, "the program retains nothing on destroy"
    for o in gone:
        objects.delete(o.api_version, o.kind, o.object_name, o.namespace)
    # The garbage collector and the finalizers (PVC protection, foreground deletion) take their time.
    eventually("every destroyed object gone", lambda: all(live(objects, o) is None for o in gone),
               timeout_s=SETTLE_TIMEOUT_S)
    # The claims outliving the StatefulSet mean something only once the garbage collector has removed its Pods (every
    # Pod in the namespace is one of the workloads').
    eventually("every Pod gone", lambda: not objects.list("v1", "Pod", NAMESPACE), timeout_s=SETTLE_TIMEOUT_S)
    deleting = {}
    for o in kept:
        found = live(objects, o)
        if found is None or found["metadata"].get("deletionTimestamp"):
            deleting[o.label] = "deleted" if found is None else "being deleted"
    assert not deleting, deleting
    assert logs_claims(objects, w.object_name) == claims, f"worker logs claims before destroy: {sorted(claims)}"
    figures.append(f"acceptance: destroy deleted {len(gone)} objects and kept {len(kept)} retained "
                   f"({', '.join(o.label for o in kept)}) and {len(claims)} worker logs claims")
