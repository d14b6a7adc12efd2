"""Pod Security Standards: checks rendered pod templates against the baseline and restricted profiles.

    python -m tools.pod_security [--stack dev ...]      (default: every render of tools.validate.renders())

The controls are those of the Kubernetes Pod Security Standards (the `latest` version the namespace enforces), written
out here so that a failure names the control, the container and the field, before any cluster sees the pod:

  baseline    HostProcess, host namespaces, privileged, capabilities (baseline set), hostPath volumes, host ports,
              host probes and lifecycle hooks, AppArmor, SELinux, /proc mount type, seccomp (not Unconfined), sysctls
  restricted  all of baseline, plus volume types, privilege escalation, running as non-root, non-root user (uid 0),
              seccomp (RuntimeDefault or Localhost), capabilities (drop ALL, add only NET_BIND_SERVICE)

Exceptions: none by default. A container that must break a restricted control (a root init container that fixes
volume ownership, for provisioners that ignore fsGroup) is registered in `EXEMPTIONS` with the controls it may break
and why, and applies only to a pod template that claims it with the `EXEMPTION_ANNOTATION` (which the component adds
only when the feature is turned on). An exemption never helps at admission: such a pod must live in a namespace that
enforces a profile it passes without exemptions, which `namespace_problems` checks.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from components.worker_logs import PERMISSIONS_FIX_NAME, POD_SECURITY_EXCEPTION_ANNOTATION
from tools.harness import Capture
from tools.render import manifest
from tools.validate import renders, stack_render

BASELINE = "baseline"
RESTRICTED = "restricted"
PROFILES = (BASELINE, RESTRICTED)
ENFORCE_LABEL = "pod-security.kubernetes.io/enforce"

BASELINE_CAPABILITIES = frozenset(
    {
        "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP",
        "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
    }
)  # fmt: skip
RESTRICTED_CAPABILITIES = frozenset({"NET_BIND_SERVICE"})
SAFE_SYSCTLS = frozenset(
    {
        "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
        "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
        "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
        "net.ipv4.tcp_keepalive_probes",
    }
)  # fmt: skip
SELINUX_TYPES = frozenset({"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"})
RESTRICTED_VOLUME_TYPES = frozenset(
    {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"}
)
CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")
APPARMOR_ANNOTATION = "container.apparmor.security.beta.kubernetes.io/"
# Where each workload kind keeps its pod template.
POD_TEMPLATE_PATHS: dict[str, tuple[str, ...]] = {
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "ReplicationController": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
    "PodTemplate": ("template",),
    "Pod": (),
}


@dataclass(frozen=True)
class Violation:
    """One control a pod breaks: where (field path, container if any) and how."""

    profile: str
    control: str
    path: str
    message: str
    container: str | None = None

    def __str__(self) -> str:
        where = f" (container {self.container})" if self.container else ""
        return f"{self.profile}/{self.control} at {self.path}{where}: {self.message}"


@dataclass(frozen=True)
class Exemption:
    """Controls one container may break, and why: applies only in a pod template that claims exemptions."""

    name: str
    container: str
    controls: frozenset[str]
    reason: str

    def covers(self, violation: Violation) -> bool:
        return violation.container == self.container and violation.control in self.controls


# A pod template claims the exemptions of its containers by carrying this annotation (the value says why); the
# registry below limits what a claim can cover. Off by default: no default render carries it.
EXEMPTION_ANNOTATION = POD_SECURITY_EXCEPTION_ANNOTATION
# WorkerLogs' opt-in (workerLogsFixPermissions) init container chowns the logs volume for storage provisioners that
# ignore fsGroup. chown of files another user owns needs uid 0 and CAP_CHOWN (FOWNER and DAC_OVERRIDE to chmod and
# traverse them): no non-root container can do it. It runs before Airflow starts and touches only that volume; with
# it on, the namespace enforces baseline instead of restricted, which `namespace_problems` checks.
LOG_PERMISSIONS_FIX = Exemption(
    name="worker-logs-permissions-fix",
    container=PERMISSIONS_FIX_NAME,
    controls=frozenset({"runAsNonRoot", "runAsUser", "capabilities"}),
    reason="chown of the worker logs volume for provisioners that ignore fsGroup needs root and CHOWN/FOWNER/DAC_OVERRIDE",
)
EXEMPTIONS = {exemption.name: exemption for exemption in (LOG_PERMISSIONS_FIX,)}


# --- the controls ---------------------------------------------------------------------------------------------------


def containers_of(spec: dict[str, Any], path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for list_name in CONTAINER_LISTS:
        for index, container in enumerate(spec.get(list_name) or []):
            yield f"{path}.{list_name}[{index}]", container


def check_pod_spec(
    spec: dict[str, Any], annotations: dict[str, str] | None = None, path: str = "spec", profile: str = RESTRICTED
) -> list[Violation]:
    """Every violation of `profile` by one pod spec (and its pod-level annotations)."""
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {', '.join(PROFILES)}, not {profile!r}")
    found = list(baseline_violations(spec, annotations or {}, path))
    if profile == RESTRICTED:
        found += restricted_violations(spec, path)
    return found


def baseline_violations(spec: dict[str, Any], annotations: dict[str, str], path: str) -> Iterator[Violation]:
    def bad(control: str, where: str, message: str, container: str | None = None) -> Violation:
        return Violation(BASELINE, control, where, message, container)

    pod_context = spec.get("securityContext") or {}
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(field):
            yield bad("hostNamespaces", f"{path}.{field}", "must be unset or false")
    if (pod_context.get("windowsOptions") or {}).get("hostProcess"):
        yield bad("hostProcess", f"{path}.securityContext.windowsOptions.hostProcess", "must be unset or false")
    yield from selinux_violations(pod_context, f"{path}.securityContext", None)
    yield from apparmor_violations(pod_context, f"{path}.securityContext", None)
    if (pod_context.get("seccompProfile") or {}).get("type") == "Unconfined":
        yield bad("seccomp", f"{path}.securityContext.seccompProfile.type", "must not be Unconfined")
    for index, sysctl in enumerate(pod_context.get("sysctls") or []):
        if sysctl.get("name") not in SAFE_SYSCTLS:
            yield bad("sysctls", f"{path}.securityContext.sysctls[{index}]", f"{sysctl.get('name')} is not a safe sysctl")
    for index, volume in enumerate(spec.get("volumes") or []):
        if "hostPath" in volume:
            yield bad("hostPathVolumes", f"{path}.volumes[{index}]", f"volume {volume.get('name')} is a hostPath")
    for key, value in annotations.items():
        if key.startswith(APPARMOR_ANNOTATION) and value != "runtime/default" and not value.startswith("localhost/"):
            yield bad("appArmor", f"metadata.annotations.{key}", f"{value!r} is neither runtime/default nor localhost/*")

    for where, container in containers_of(spec, path):
        name = container.get("name")
        context = container.get("securityContext") or {}
        if context.get("privileged"):
            yield bad("privileged", f"{where}.securityContext.privileged", "must be unset or false", name)
        if (context.get("windowsOptions") or {}).get("hostProcess"):
            yield bad("hostProcess", f"{where}.securityContext.windowsOptions.hostProcess", "must be unset or false", name)
        added = set((context.get("capabilities") or {}).get("add") or [])
        if added - BASELINE_CAPABILITIES:
            beyond = ", ".join(sorted(added - BASELINE_CAPABILITIES))
            yield bad("capabilities", f"{where}.securityContext.capabilities.add", f"adds {beyond}", name)
        if context.get("procMount", "Default") != "Default":
            yield bad("procMount", f"{where}.securityContext.procMount", "must be unset or Default", name)
        if (context.get("seccompProfile") or {}).get("type") == "Unconfined":
            yield bad("seccomp", f"{where}.securityContext.seccompProfile.type", "must not be Unconfined", name)
        yield from selinux_violations(context, f"{where}.securityContext", name)
        yield from apparmor_violations(context, f"{where}.securityContext", name)
        for port_index, port in enumerate(container.get("ports") or []):
            if port.get("hostPort"):
                yield bad("hostPorts", f"{where}.ports[{port_index}].hostPort", "must be unset or 0", name)
        for handler_path, handler in probe_handlers(container, where):
            for kind in ("httpGet", "tcpSocket"):
                if (handler.get(kind) or {}).get("host"):
                    yield bad("hostProbes", f"{handler_path}.{kind}.host", "must be unset or empty", name)


def probe_handlers(container: dict[str, Any], where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        if container.get(probe):
            yield f"{where}.{probe}", container[probe]
    for hook in ("postStart", "preStop"):
        handler = (container.get("lifecycle") or {}).get(hook)
        if handler:
            yield f"{where}.lifecycle.{hook}", handler


def selinux_violations(context: dict[str, Any], where: str, container: str | None) -> Iterator[Violation]:
    options = context.get("seLinuxOptions") or {}
    if options.get("type", "") not in SELINUX_TYPES:
        yield Violation(BASELINE, "seLinux", f"{where}.seLinuxOptions.type", f"{options['type']!r} is not allowed", container)
    for field in ("user", "role"):
        if options.get(field):
            yield Violation(BASELINE, "seLinux", f"{where}.seLinuxOptions.{field}", "must be unset or empty", container)


def apparmor_violations(context: dict[str, Any], where: str, container: str | None) -> Iterator[Violation]:
    kind = (context.get("appArmorProfile") or {}).get("type")
    if kind is not None and kind not in ("RuntimeDefault", "Localhost"):
        yield Violation(BASELINE, "appArmor", f"{where}.appArmorProfile.type", f"{kind!r} is not allowed", container)


def restricted_violations(spec: dict[str, Any], path: str) -> Iterator[Violation]:
    def bad(control: str, where: str, message: str, container: str | None = None) -> Violation:
        return Violation(RESTRICTED, control, where, message, container)

    pod_context = spec.get("securityContext") or {}
    # Windows pods are exempt from the Linux-only controls (the standard says so; their fields do not exist there).
    linux = (spec.get("os") or {}).get("name") != "windows"
    for index, volume in enumerate(spec.get("volumes") or []):
        kinds = set(volume) - {"name"}
        if not kinds <= RESTRICTED_VOLUME_TYPES:
            listed = ", ".join(sorted(kinds - RESTRICTED_VOLUME_TYPES))
            yield bad("volumeTypes", f"{path}.volumes[{index}]", f"volume {volume.get('name')} is of type {listed}")
    pod_non_root = pod_context.get("runAsNonRoot") is True
    if pod_context.get("runAsUser") == 0:
        yield bad("runAsUser", f"{path}.securityContext.runAsUser", "must not be 0")
    pod_seccomp = (pod_context.get("seccompProfile") or {}).get("type")
    pod_seccomp_ok = pod_seccomp in ("RuntimeDefault", "Localhost")
    if pod_seccomp is not None and not pod_seccomp_ok:
        yield bad("seccomp", f"{path}.securityContext.seccompProfile.type", "must be RuntimeDefault or Localhost")

    for where, container in containers_of(spec, path):
        name = container.get("name")
        context = container.get("securityContext") or {}
        at = f"{where}.securityContext"
        non_root = context.get("runAsNonRoot")
        if non_root is False or (non_root is None and not pod_non_root):
            yield bad("runAsNonRoot", f"{at}.runAsNonRoot", "must be true here or in the pod's securityContext", name)
        if context.get("runAsUser") == 0:
            yield bad("runAsUser", f"{at}.runAsUser", "must not be 0", name)
        if not linux:
            continue
        if context.get("allowPrivilegeEscalation") is not False:
            yield bad("allowPrivilegeEscalation", f"{at}.allowPrivilegeEscalation", "must be false", name)
        seccomp = (context.get("seccompProfile") or {}).get("type")
        if seccomp is not None and seccomp not in ("RuntimeDefault", "Localhost"):
            yield bad("seccomp", f"{at}.seccompProfile.type", "must be RuntimeDefault or Localhost", name)
        elif seccomp is None and not pod_seccomp_ok:
            yield bad("seccomp", f"{at}.seccompProfile.type", "must be set here or in the pod's securityContext", name)
        capabilities = context.get("capabilities") or {}
        if "ALL" not in (capabilities.get("drop") or []):
            yield bad("capabilities", f"{at}.capabilities.drop", "must include ALL", name)
        beyond = set(capabilities.get("add") or []) - RESTRICTED_CAPABILITIES
        if beyond:
            added = ", ".join(sorted(beyond))
            yield bad("capabilities", f"{at}.capabilities.add", f"may add only NET_BIND_SERVICE, adds {added}", name)


# --- rendered objects -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PodTemplate:
    """The pod template of one rendered object."""

    kind: str
    name: str
    namespace: str
    path: str
    template: dict[str, Any]

    @property
    def spec(self) -> dict[str, Any]:
        spec: dict[str, Any] = self.template.get("spec") or {}
        return spec

    @property
    def annotations(self) -> dict[str, str]:
        annotations: dict[str, str] = (self.template.get("metadata") or {}).get("annotations") or {}
        return annotations

    def claimed_exemptions(self) -> list[Exemption]:
        """The registered exemptions of this pod's containers, if the template claims exemptions at all."""
        if not self.annotations.get(EXEMPTION_ANNOTATION):
            return []
        names = {container.get("name") for _, container in containers_of(self.spec, "")}
        return [exemption for exemption in EXEMPTIONS.values() if exemption.container in names]

    def check(self, profile: str = RESTRICTED, exempt: bool = True) -> list[Violation]:
        """Violations of `profile`, less those covered by the exemptions the template claims (unless `exempt` is off:
        admission knows no exemptions)."""
        found = check_pod_spec(self.spec, self.annotations, f"{self.path}.spec" if self.path else "spec", profile)
        exemptions = self.claimed_exemptions() if exempt else []
        return [v for v in found if not any(exemption.covers(v) for exemption in exemptions)]


def pod_templates(objects: Iterable[dict[str, Any]]) -> list[PodTemplate]:
    """The pod template of every object that has one (workloads and bare pods), wherever its kind keeps it."""
    templates = []
    for obj in objects:
        keys = POD_TEMPLATE_PATHS.get(str(obj.get("kind")))
        if keys is None:
            continue
        template: Any = obj
        for key in keys:
            template = (template or {}).get(key)
        metadata = obj.get("metadata") or {}
        templates.append(
            PodTemplate(
                kind=str(obj["kind"]),
                name=str(metadata.get("name", "")),
                namespace=str(metadata.get("namespace", "")),
                path=".".join(keys),
                template=template or {},
            )
        )
    return templates


def namespace_problems(objects: list[dict[str, Any]]) -> list[str]:
    """Every namespace that holds a rendered pod is created by the stack and enforces a profile its pods all pass.

    Admission knows no exemptions: a pod that needs one cannot run where restricted is enforced.
    """
    enforced = {
        str(o["metadata"]["name"]): ((o["metadata"].get("labels") or {}).get(ENFORCE_LABEL))
        for o in objects
        if o.get("kind") == "Namespace"
    }
    problems = []
    for template in pod_templates(objects):
        where = f"{template.kind}/{template.name} in namespace {template.namespace!r}"
        if template.namespace not in enforced:
            problems.append(f"{where}: the namespace is not created by this stack, so nothing enforces a profile")
            continue
        profile = enforced[template.namespace]
        if profile not in PROFILES:
            problems.append(f"{where}: the namespace enforces {profile!r}, not baseline or restricted")
            continue
        for violation in template.check(profile, exempt=False):
            problems.append(f"{where}: would be refused at admission: {violation}")
    return problems


def rendered(capture: Capture) -> list[dict[str, Any]]:
    return [manifest(registration) for registration in capture.kubernetes_objects()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.pod_security", description=__doc__.splitlines()[0])
    parser.add_argument("--stack", action="append", help="stack to check (repeatable; default: every render)")
    options = parser.parse_args(argv)
    chosen = [stack_render(stack) for stack in options.stack] if options.stack else renders()
    status = 0
    for render in chosen:
        objects = rendered(render.run())
        templates = pod_templates(objects)
        lines = [f"{t.kind}/{t.name}: {v}" for t in templates for v in t.check(RESTRICTED)]
        lines += namespace_problems(objects)
        claimed = [f"{t.kind}/{t.name}: {e.name}" for t in templates for e in t.claimed_exemptions()]
        if lines:
            status = 1
            print(f"{render.name}: {len(lines)} Pod Security problems in {len(templates)} pod templates:")
            print("\n".join(f"  {line}" for line in lines))
        else:
            print(f"{render.name}: {len(templates)} pod templates pass the restricted profile")
        if claimed:
            print(f"  exemptions claimed: {', '.join(claimed)}")
    return status


if __name__ == "__main__":
    sys.exit(main())
