"""The harness itself: the premises the Airflow tests stand on, each checked on the e2e cluster."""

from __future__ import annotations

import json
import re
import subprocess
import textwrap

import pytest
from cluster import LOOPBACK, eventually
from conftest import require_binaries
from kubernetes import client
from kubernetes.client.exceptions import ApiException
from layout import BIN, VENV, VERSIONS

SKIP_AWAIT = {"pulumi.com/skipAwait": "true"}


def restricted_pod(name: str, escalates: bool = False) -> dict:
    """A Pod the restricted level admits, or with escalates=True one it must refuse."""
    return {
        "metadata": {"name": name},
        "spec": {
            "securityContext": {"runAsNonRoot": True, "runAsUser": 1000,
                                "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [{
                "name": "main", "image": "busybox:1.37",
                "securityContext": {"allowPrivilegeEscalation": escalates,
                                    "capabilities": {"drop": ["ALL"]}},
            }],
        },
    }


def restricted_namespace(api, name: str) -> str:
    client.CoreV1Api(api).create_namespace({"metadata": {
        "name": name, "labels": {"pod-security.kubernetes.io/enforce": "restricted"}}})
    # The ServiceAccount admission plugin refuses Pods until the namespace's default account exists;
    # reading it raises until then.
    eventually(f"default service account in {name}",
               lambda: client.CoreV1Api(api).read_namespaced_service_account("default", name))
    return name


def test_toolchain_pins_state_the_gap_to_the_sdks_in_venv():
    """The module proxy serves neither the CLI release of the SDK in .venv nor the plugin versions its SDKs ask
    for; versions.env pins what it serves, and the engine runs those plugins as ambient ones. This states each gap, so
    that a pin which closes one (and the workaround it needs) is noticed here."""
    site = next((VENV / "lib").glob("python3*/site-packages"))
    asked = {pkg: json.loads((site / f"pulumi_{pkg}" / "pulumi-plugin.json").read_text())["version"]
             for pkg in ("kubernetes", "random")}
    [sdk] = [d.name.removesuffix(".dist-info").split("-")[1] for d in site.glob("pulumi-*.dist-info")]
    assert asked == {"kubernetes": VERSIONS["PULUMI_KUBERNETES_VERSION"], "random": VERSIONS["PULUMI_RANDOM_VERSION"]}
    assert sdk == VERSIONS["PULUMI_SDK_VERSION"]
    wanted_and_built = {
        "pulumi": (sdk, VERSIONS["PULUMI_VERSION"]),
        "kubernetes": (asked["kubernetes"], VERSIONS["KUBERNETES_PROVIDER_VERSION"]),
        "random": (asked["random"], VERSIONS["RANDOM_PLUGIN_VERSION"]),
    }
    assert wanted_and_built == {
        "pulumi": ("3.272.0", "3.274.1"),
        "kubernetes": ("4.34.2", "4.25.0"),
        "random": ("4.21.4", "0.0.0-tfrandom.f8d869dc98d9.bridge.3.137.0"),
    }


def test_cli_reports_its_pinned_release():
    require_binaries(("pulumi",))
    version = subprocess.run([str(BIN / "pulumi"), "version"], capture_output=True, text=True, check=True)
    assert version.stdout.strip() == f"v{VERSIONS['PULUMI_VERSION']}"


# What components/secrets.py registers and reads: the bridged random plugin must serve these under the SDK's names.
RANDOM_USED = {
    "random:index/randomPassword:RandomPassword": ({"length", "special"}, {"result"}),
    "random:index/randomBytes:RandomBytes": ({"length"}, {"base64"}),
}


def test_bridged_random_plugin_serves_the_sdks_resources_under_its_names():
    """toolchain/random maps terraform-provider-random to pulumi_random's tokens and properties by hand: every
    resource of the SDK in .venv is in the plugin's schema, and the ones the program uses take the inputs it sets
    and give the outputs it reads, secret where the SDK marks them secret."""
    require_binaries(("pulumi-resource-random",))
    schema = json.loads((BIN.parent / "share" / "random-schema.json").read_text())
    sdk = next((VENV / "lib").glob("python3*/site-packages")) / "pulumi_random"
    sdk_tokens = set(re.findall(r"'(random:index/\w+:\w+)'", "".join(p.read_text() for p in sdk.glob("*.py"))))
    assert len(sdk_tokens) == 10, sorted(sdk_tokens)
    assert set(schema["resources"]) == sdk_tokens
    for token, (inputs, outputs) in RANDOM_USED.items():
        resource = schema["resources"][token]
        assert inputs <= set(resource["inputProperties"]), token
        assert outputs <= set(resource["properties"]), token
        assert all(resource["properties"][name].get("secret") for name in outputs), token


def test_control_plane_listens_on_loopback_only(cluster):
    pids = {str(p.pid) for p in cluster.processes}
    listeners = [line.split()[3] for line in subprocess.run(
        ["ss", "-H", "-l", "-t", "-n", "-p"], capture_output=True, text=True, check=True
    ).stdout.splitlines() if set(re.findall(r"pid=(\d+)", line)) & pids]
    assert listeners, "found no listening socket of etcd or kube-apiserver"
    assert all(addr.rsplit(":", 1)[0] == LOOPBACK for addr in listeners), listeners


def test_api_server_reports_the_pinned_release(cluster):
    assert f'"gitVersion": "v{VERSIONS["KUBERNETES_VERSION"]}"' in cluster.get("/version")


def test_cert_manager_kinds_are_served(api):
    issuer = {"apiVersion": "cert-manager.io/v1", "kind": "ClusterIssuer",
              "metadata": {"name": "probe"}, "spec": {"selfSigned": {}}}
    created = client.CustomObjectsApi(api).create_cluster_custom_object(
        "cert-manager.io", "v1", "clusterissuers", issuer, dry_run="All")
    assert created["spec"] == {"selfSigned": {}}


def test_keda_kinds_are_served(api):
    auth = {"apiVersion": "keda.sh/v1alpha1", "kind": "TriggerAuthentication",
            "metadata": {"name": "probe", "namespace": "default"},
            "spec": {"secretTargetRef": [{"parameter": "connection", "name": "probe", "key": "connection"}]}}
    created = client.CustomObjectsApi(api).create_namespaced_custom_object(
        "keda.sh", "v1alpha1", "default", "triggerauthentications", auth, dry_run="All")
    assert created["spec"] == auth["spec"]


def test_pod_security_admission_enforces_restricted(api):
    ns = restricted_namespace(api, "probe-restricted")
    core = client.CoreV1Api(api)
    core.create_namespaced_pod(ns, restricted_pod("compliant"), dry_run="All")
    with pytest.raises(ApiException) as rejected:
        core.create_namespaced_pod(ns, restricted_pod("escalates", escalates=True), dry_run="All")
    assert rejected.value.status == 403, rejected.value.body
    assert 'violates PodSecurity "restricted' in json.loads(rejected.value.body)["message"]


def test_statefulset_controller_creates_claims_and_pods(api, objects):
    ns = restricted_namespace(api, "probe-statefulset")
    labels = {"app": "probe"}
    client.AppsV1Api(api).create_namespaced_stateful_set(ns, {
        "metadata": {"name": "probe"},
        "spec": {
            "serviceName": "probe", "replicas": 1, "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": restricted_pod("x")["spec"]},
            "volumeClaimTemplates": [{"metadata": {"name": "logs"}, "spec": {
                "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}],
        },
    })
    eventually("pod probe-0", lambda: objects.get("v1", "Pod", "probe-0", ns))
    assert objects.get("v1", "PersistentVolumeClaim", "logs-probe-0", ns)


def test_a_throwaway_program_goes_up_and_down(pulumi_factory, objects, tmp_path):
    """The CLI, the language host, both plugins and the .venv SDKs work together on this cluster."""
    (tmp_path / "Pulumi.yaml").write_text(textwrap.dedent(f"""\
        name: e2e-smoke
        runtime:
          name: python
          options: {{toolchain: pip, virtualenv: {VENV}}}
        """))
    (tmp_path / "__main__.py").write_text(textwrap.dedent(f"""\
        import pulumi_random
        from pulumi_kubernetes.core.v1 import ConfigMap, Namespace

        annotations = {SKIP_AWAIT!r}
        ns = Namespace("smoke", metadata={{"name": "e2e-smoke", "annotations": annotations}})
        suffix = pulumi_random.RandomString("suffix", length=8, special=False)
        ConfigMap("smoke", metadata={{"name": "smoke", "namespace": ns.metadata.name,
                                     "annotations": annotations}},
                  data={{"suffix": suffix.result}})
        """))
    pulumi = pulumi_factory(tmp_path)
    pulumi.up()
    cm = objects.get("v1", "ConfigMap", "smoke", "e2e-smoke")
    assert cm is not None, "ConfigMap e2e-smoke/smoke was not created"
    assert re.fullmatch(r"[A-Za-z0-9]{8}", cm["data"]["suffix"]), cm["data"]
    pulumi.run("preview", "--expect-no-changes")
    pulumi.run("destroy", "--yes")
    # skipAwait: the provider does not wait for the namespace controller to empty the namespace.
    eventually("namespace e2e-smoke deleted",
                    lambda: objects.get("v1", "Namespace", "e2e-smoke") is None, timeout_s=90)
