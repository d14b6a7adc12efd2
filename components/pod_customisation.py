"""PodCustomisation: image pull secrets, pod labels and annotations, placement (`scheduling`) and service-account
annotations, on every pod and ServiceAccount the stack creates. Without a placement of their own, the replicas of a
Deployment or StatefulSet are spread over nodes where the cluster can (a preferred spread).

A stack transformation rather than a ComponentResource: it owns no object, it adds the team's metadata to the
objects the other components create, as they are registered, so a component added later is covered without being
told. It reads each pod template's `app.kubernetes.io/component` label to pick the component's entries over the
`default` ones. It leaves out the Helm releases' pods (their charts have values of their own) and never touches a
field the stack sets: the settings refuse the stack's labels and annotations, and the stack's win where keys meet.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.settings import CustomisationSettings

COMPONENT_LABEL = "app.kubernetes.io/component"
# Where each workload kind keeps its pod template, as a path of input attributes.
POD_TEMPLATE_PATHS = {
    "kubernetes:apps/v1:Deployment": ("spec", "template"),
    "kubernetes:apps/v1:StatefulSet": ("spec", "template"),
    "kubernetes:batch/v1:Job": ("spec", "template"),
    "kubernetes:batch/v1:CronJob": ("spec", "job_template", "spec", "template"),
}
SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount"
# `scheduling`'s fields (Kubernetes' names, as the team writes them) and the PodSpec input attributes they set.
SCHEDULING_FIELDS = {
    "nodeSelector": "node_selector",
    "tolerations": "tolerations",
    "affinity": "affinity",
    "topologySpreadConstraints": "topology_spread_constraints",
    "priorityClassName": "priority_class_name",
}
# Workloads whose replicas should not share a node: a node's loss then takes one replica, not all.
SPREAD_KINDS = ("kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet")
SELECTOR_LABELS = ("app.kubernetes.io/name", "app.kubernetes.io/component")


def spread_across_nodes(labels: dict[str, str]) -> dict[str, Any]:
    """A preferred spread of a component's replicas over nodes: preferred, so a one-node cluster still runs them all."""
    return {
        "maxSkew": 1,
        "topologyKey": "kubernetes.io/hostname",
        "whenUnsatisfiable": "ScheduleAnyway",
        "labelSelector": {"matchLabels": {key: labels[key] for key in SELECTOR_LABELS}},
    }


@dataclass(frozen=True)
class PodCustomisationArgs:
    settings: CustomisationSettings
    """Pull secrets, pod labels and annotations, placement, service-account annotations."""


def attribute(value: Any, name: str) -> Any:
    """An input's field: the top level of a resource's props is a dict, below it are input types."""
    return value.get(name) if isinstance(value, dict) else getattr(value, name, None)


def merged(stack_owned: Any, team: dict[str, str]) -> Any:
    """The team's entries under the stack's own, which win where keys meet."""
    return {**team, **(stack_owned or {})} if team else stack_owned


class PodCustomisation:
    """Registered once in __main__.py with `pulumi.runtime.register_stack_transformation(...transformation)`."""

    def __init__(self, args: PodCustomisationArgs) -> None:
        self._settings = args.settings

    def transformation(self, args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult | None:
        settings = self._settings
        if args.type_ == SERVICE_ACCOUNT:
            metadata = args.props.get("metadata")
            component = (attribute(metadata, "labels") or {}).get(COMPONENT_LABEL, "")
            annotations = settings.for_component(settings.service_account_annotations, component)
            if isinstance(metadata, k8s.meta.v1.ObjectMetaArgs) and annotations:
                metadata.annotations = merged(metadata.annotations, annotations)
            return pulumi.ResourceTransformationResult(args.props, args.opts)
        path = POD_TEMPLATE_PATHS.get(args.type_)
        if path is None:
            return None
        template: Any = args.props
        for name in path:
            template = attribute(template, name)
        metadata, spec = template.metadata, template.spec
        component = (metadata.labels or {}).get(COMPONENT_LABEL, "")
        metadata.labels = merged(metadata.labels, settings.for_component(settings.pod_labels, component))
        metadata.annotations = merged(metadata.annotations, settings.for_component(settings.pod_annotations, component))
        if settings.image_pull_secrets:
            spec.image_pull_secrets = [
                k8s.core.v1.LocalObjectReferenceArgs(name=name) for name in settings.image_pull_secrets
            ]
        placement = settings.for_component(settings.scheduling, component)
        if args.type_ in SPREAD_KINDS and not {"affinity", "topologySpreadConstraints"} & placement.keys():
            placement["topologySpreadConstraints"] = [spread_across_nodes(metadata.labels)]
        for field_name, attribute_name in SCHEDULING_FIELDS.items():
            if field_name in placement:
                setattr(spec, attribute_name, placement[field_name])
        return pulumi.ResourceTransformationResult(args.props, args.opts)
