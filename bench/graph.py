"""(b) The resource graph: how many resources, and the longest chain `pulumi up` must walk one after the other.

A resource waits for the resources it depends on (Registration.dependencies: the data it takes from them, plus any
depends_on) and for its parent. The longest such chain is the critical path: however wide the engine runs, `up` takes
at least that many steps. Each edge is labelled with why it exists, so an artificial one (a depends_on where data would
do, a whole component passed as a dependency) shows.

The true data-dependency chain of this program, which the critical path should equal:
  TlsIssuer component -> cert-manager Namespace -> cert-manager Release -> bootstrap (self-signed) ClusterIssuer
  -> CA Certificate -> CA ClusterIssuer -> the UI's Ingress
The Release is installed into the Namespace; the ClusterIssuer kind exists only once the Release has installed the
CRDs (the program's one depends_on: no data says so); the CA Certificate names the bootstrap issuer; the CA issuer
names the Certificate's Secret; the Ingress names the CA issuer in its annotation. Nothing else need wait on a chain
that long: the ingress controller's (IngressController -> Namespace -> Release -> read of its Service, for the
load-balancer address -> Ingress and api-server) is two shorter. Its Release -> Service edge is missing from the
dependency data: the read waits for the Release through its id (an Output of the Release), which the SDK does not list
as a dependency of the read, so that chain shows one shorter still.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from itertools import pairwise

from tools.harness import Capture, Registration

TRUE_CHAIN = (
    "tls",
    "tls-namespace",
    "tls-release",
    "tls-bootstrap-issuer",
    "tls-ca-certificate",
    "tls-issuer",
    "ui-ingress",
)


@dataclass(frozen=True)
class Link:
    """One resource of a chain and why it waits for the one before it (empty for the first)."""

    registration: Registration
    reason: str = ""

    @property
    def label(self) -> str:
        return f"{self.registration.name} ({self.registration.type.split(':')[-1]})"


def why(resource: Registration, predecessor: Registration) -> str:
    """parent, data (the input properties that take its outputs), or depends_on."""
    if resource.parent == predecessor.urn:
        return "parent"
    properties = sorted(key for key, urns in resource.property_dependencies.items() if predecessor.urn in urns)
    return f"data: {', '.join(properties)}" if properties else "depends_on"


def critical_path(capture: Capture) -> list[Link]:
    """The longest chain of waits; among equally long ones, the first by resource name."""
    by_urn = capture.by_urn()

    def waits_for(registration: Registration) -> list[Registration]:
        urns = {*registration.dependencies, registration.parent}
        return sorted((by_urn[urn] for urn in urns if urn in by_urn), key=lambda r: r.name)

    @cache
    def longest(urn: str) -> tuple[str, ...]:
        best: tuple[str, ...] = ()
        for predecessor in waits_for(by_urn[urn]):
            chain = longest(predecessor.urn)
            if len(chain) > len(best):
                best = chain
        return (*best, urn)

    chain = max((longest(r.urn) for r in sorted(capture.registrations, key=lambda r: r.name)), key=len, default=())
    links = [Link(by_urn[chain[0]])] if chain else []
    for before, after in pairwise(chain):
        links.append(Link(by_urn[after], why(by_urn[after], by_urn[before])))
    return links


def matches_true_chain(links: list[Link]) -> bool:
    return tuple(link.registration.name for link in links) == TRUE_CHAIN
