"""What the tests do to and read from the e2e cluster, through the official Python client."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import yaml
from cluster import eventually
from kubernetes import client, config, dynamic
from kubernetes.client.exceptions import ApiException

# An address from TEST-NET-3 (RFC 5737): documentation only, never routed, never dialled here.
LOAD_BALANCER_IP = "203.0.113.10"
INGRESS_NAMESPACE = "ingress-nginx"
INGRESS_SERVICE = "ingress-nginx-controller"
INGRESS_CLASS = "nginx"
# The program's default certManagerNamespace, where an installed cert-manager would live.
CERT_MANAGER_NAMESPACE = "cert-manager"


def api_client(kubeconfig: Path) -> client.ApiClient:
    return config.new_client_from_config(config_file=str(kubeconfig))


def install_crds(api: client.ApiClient, sets_dir: Path) -> None:
    """Every CustomResourceDefinition of every set under sets_dir (cert-manager's, KEDA's, ...), as the operators'
    releases install them, waited for until Established. No operator runs: a custom resource is stored, never acted on."""
    ext = client.ApiextensionsV1Api(api)
    names = []
    for path in sorted(sets_dir.glob("*/*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc and doc.get("kind") == "CustomResourceDefinition":
                ext.create_custom_resource_definition(doc)
                names.append(doc["metadata"]["name"])
    if not names:
        raise FileNotFoundError(f"no CRDs under {sets_dir}: install them with `python -m tools.crd_schemas`")

    def established(name: str) -> bool:
        conditions = ext.read_custom_resource_definition(name).status.conditions or []
        return any(c.type == "Established" and c.status == "True" for c in conditions)

    for name in names:
        eventually(f"CRD {name} established", lambda name=name: established(name))


def install_fake_cert_manager(api: client.ApiClient) -> None:
    """What an installed cert-manager leaves behind beside its CRDs that the program relies on with
    tlsMode=existing: its namespace. No cert-manager runs, so no certificate is ever issued."""
    client.CoreV1Api(api).create_namespace({"metadata": {"name": CERT_MANAGER_NAMESPACE}})


def install_fake_ingress_controller(api: client.ApiClient) -> None:
    """What an installed ingress-nginx leaves behind that the program looks up with
    ingressMode=existing: its namespace, its IngressClass and its LoadBalancer Service. No
    controller runs, so the Service's load-balancer status is written by hand."""
    core = client.CoreV1Api(api)
    core.create_namespace({"metadata": {"name": INGRESS_NAMESPACE}})
    client.NetworkingV1Api(api).create_ingress_class({
        "metadata": {"name": INGRESS_CLASS},
        "spec": {"controller": "k8s.io/ingress-nginx"},
    })
    labels = {"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"}
    core.create_namespaced_service(INGRESS_NAMESPACE, {
        "metadata": {"name": INGRESS_SERVICE, "labels": labels},
        "spec": {
            "type": "LoadBalancer",
            "selector": labels,
            "ports": [{"name": "http", "port": 80, "targetPort": "http"},
                      {"name": "https", "port": 443, "targetPort": "https"}],
        },
    })
    core.patch_namespaced_service_status(INGRESS_SERVICE, INGRESS_NAMESPACE, {
        "status": {"loadBalancer": {"ingress": [{"ip": LOAD_BALANCER_IP}]}},
    })


class Objects:
    """Reads any kind by apiVersion and kind, as Pulumi's state names them."""

    def __init__(self, api: client.ApiClient):
        self.dyn = dynamic.DynamicClient(api)

    def get(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> dict | None:
        resource = self.dyn.resources.get(api_version=api_version, kind=kind)
        try:
            obj = resource.get(name=name, namespace=namespace if resource.namespaced else None)
        except ApiException as e:
            if e.status == 404:
                return None
            raise
        return obj.to_dict()

    def list(self, api_version: str, kind: str, namespace: str | None = None) -> list[dict]:
        resource = self.dyn.resources.get(api_version=api_version, kind=kind)
        return resource.get(namespace=namespace).to_dict()["items"]

    def apply(self, manifest: dict, field_manager: str) -> list[str]:
        """Server-side applies manifest, which is how the Kubernetes provider creates and updates an object, but
        with strict field validation: an unknown or duplicated field is an error, where the provider's own
        `Warn` lets the server drop it. Returns the warnings the server sent; raises RejectedError if it refused."""
        meta = manifest["metadata"]
        resource = self.dyn.resources.get(api_version=manifest["apiVersion"], kind=manifest["kind"])
        path = resource.path(name=meta["name"], namespace=meta.get("namespace") if resource.namespaced else None)
        api = self.dyn.client
        # Through the generated transport rather than the dynamic client, which has no fieldValidation parameter
        # and hides the response's Warning headers.
        request = api.param_serialize(
            "PATCH", path,
            query_params=[("fieldManager", field_manager), ("fieldValidation", "Strict")],
            header_params={"Content-Type": "application/apply-patch+yaml", "Accept": "application/json"},
            body=manifest, auth_settings=["BearerToken"])
        response = api.call_api(*request)
        body = response.read()
        if not 200 <= response.status <= 299:
            raise RejectedError(response.status, body.decode(errors="replace"))
        return response.headers.getlist("Warning")

    def delete(self, api_version: str, kind: str, name: str, namespace: str | None = None,
               propagation: str = "Foreground") -> None:
        """Deletes as the provider's destroy does: foreground cascading, so the garbage collector removes what the
        object's controller made (ReplicaSets, Pods) and only those, before the object goes."""
        resource = self.dyn.resources.get(api_version=api_version, kind=kind)
        resource.delete(name=name, namespace=namespace if resource.namespaced else None,
                        propagation_policy=propagation)


class RejectedError(Exception):
    """The API server refused a request: its status code and the message of the Status it returned."""

    def __init__(self, status: int, body: str):
        try:
            message = json.loads(body).get("message", body)
        except ValueError:
            message = body
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


def mark_ready(api: client.ApiClient, pod: dict) -> None:
    """Does for one Pod what the absent kubelet would: reports it Running and Ready. A StatefulSet
    with the OrderedReady policy creates replica N+1 only once replica N is Ready."""
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    client.CoreV1Api(api).patch_namespaced_pod_status(
        pod["metadata"]["name"], pod["metadata"]["namespace"],
        {"status": {"phase": "Running", "startTime": now, "conditions": [
            {"type": t, "status": "True", "lastTransitionTime": now}
            for t in ("PodScheduled", "Initialized", "ContainersReady", "Ready")]}})


def as_stored(inputs: dict) -> dict:
    """What the API server stores for these inputs, where it differs: a Secret's stringData is
    written into data, base64-encoded, and never read back."""
    if inputs.get("kind") != "Secret" or "stringData" not in inputs:
        return inputs
    stored = {k: v for k, v in inputs.items() if k != "stringData"}
    stored["data"] = {**inputs.get("data", {}),
                      **{k: base64.b64encode(v.encode()).decode() for k, v in inputs["stringData"].items()}}
    return stored


def mismatches(expected, actual, path: str = "") -> list[str]:
    """Where expected is not contained in actual: every key of a mapping, every element of a list (same
    length and order), every scalar equal. Fields the server adds (defaults, status) are ignored, and
    so is an empty list or mapping the server dropped (it stores them as absent)."""
    if expected in ([], {}) and actual is None:
        return []
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path}: expected a mapping, found {actual!r}"]
        return [m for k, v in expected.items() for m in mismatches(v, actual.get(k), f"{path}.{k}")]
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{path}: expected {len(expected)} items, found {actual!r}"]
        return [m for i, (e, a) in enumerate(zip(expected, actual, strict=True)) for m in mismatches(e, a, f"{path}[{i}]")]
    return [] if expected == actual else [f"{path}: expected {expected!r}, found {actual!r}"]
