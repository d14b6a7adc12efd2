"""The DAG repository's URL: its transport, host and port, checked (GitSync)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit


class GitTransport(StrEnum):
    """How git-sync reaches the repository."""

    SSH = "ssh"
    HTTPS = "https"


SSH_PORT = 22
HTTPS_PORT = 443


GIT_HOST = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$")
GIT_USER = re.compile(r"^[A-Za-z0-9._-]+$")
SCP_LIKE_URL = re.compile(r"^(?P<user>[^@:/\s]+)@(?P<host>[^@:/\s]+):(?P<path>\S+)$")
REPOSITORY_PATH = re.compile(r"^[A-Za-z0-9._~/-]+$")


REPOSITORY_RULE = (
    "must be an SSH URL such as git@github.com:org/repo.git or ssh://git@git.example.com:2222/org/repo.git, "
    "or an HTTPS URL such as https://github.com/org/repo.git"
)


CREDENTIALS_IN_URL_RULE = (
    "must not carry a user name or password: set airflow:gitSyncUsername, and airflow:gitSyncToken with --secret"
)


@dataclass(frozen=True)
class GitRepository:
    """A repository URL, checked, with what the host-key check and the network policy need to know about it."""

    url: str
    transport: GitTransport
    host: str
    port: int

    @property
    def known_hosts_name(self) -> str:
        """How ssh names the host in known_hosts: bare on port 22, `[host]:port` on any other port."""
        return self.host if self.port == SSH_PORT else f"[{self.host}]:{self.port}"


def git_repository_or_empty(raw: str) -> GitRepository | None:
    if not raw:
        return None
    if re.match(r"^(http|git)://", raw):
        raise ValueError(
            "must not use http:// or git://, which let anyone on the network path change the DAGs: "
            "use the https:// or the SSH URL"
        )
    scp_like = SCP_LIKE_URL.match(raw)
    if scp_like and "://" not in raw:
        user, host, port, path = scp_like["user"], scp_like["host"].lower(), SSH_PORT, scp_like["path"]
        transport = GitTransport.SSH
    else:
        try:
            parts = urlsplit(raw)
            port = parts.port if parts.port is not None else SSH_PORT if parts.scheme == "ssh" else HTTPS_PORT
        except ValueError:  # an unparsable host or port
            raise ValueError(REPOSITORY_RULE) from None
        if parts.scheme == "https" and parts.username:
            raise ValueError(CREDENTIALS_IN_URL_RULE)
        if parts.scheme not in ("ssh", "https") or parts.password or parts.query or parts.fragment:
            raise ValueError(REPOSITORY_RULE)
        transport = GitTransport(parts.scheme)
        # git-sync runs as a user that the git host does not know: an SSH URL must name the remote user.
        user = (parts.username or "") if transport is GitTransport.SSH else "git"
        host, path = parts.hostname or "", parts.path.lstrip("/")
    if (
        not GIT_USER.match(user)
        or not GIT_HOST.match(host)
        or not 0 < port < 65536
        or not REPOSITORY_PATH.match(path)
        or ".." in path.split("/")
    ):
        raise ValueError(REPOSITORY_RULE)
    return GitRepository(url=raw, transport=transport, host=host, port=port)


def password_masked(raw: str) -> str | None:
    """The URL with its password replaced by ***, or None when it has no password."""
    try:
        parts = urlsplit(raw)
        password = parts.password
    except ValueError:
        return None
    if not password:
        return None
    return parts._replace(netloc=f"{parts.username}:***@{parts.netloc.rsplit('@', 1)[1]}").geturl()

