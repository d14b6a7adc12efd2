"""SSH for the DAG repository: the deploy key, and the host keys git-sync verifies the host with (GitSync)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import struct
from dataclasses import dataclass

from components.settings.git_repository import SSH_PORT, GitRepository
from components.settings.reader import ConfigReader

# The published SSH host keys of the big git hosts, so that host-key verification needs no setup for them. Looked up
# 2026-11-24 in each operator's own documentation: GitHub "GitHub's SSH key fingerprints"; GitLab "GitLab.com settings"
# (SSH known_hosts entries); Bitbucket Cloud "Configure SSH and two-step verification" (fingerprints), whose lines are
# served at bitbucket.org/site/ssh. Every key's SHA256 fingerprint is checked against the published one in
# tests/test_git_sync.py. When an operator rotates a key, git-sync fails with "Host key verification failed": update here.
BUILT_IN_HOST_KEYS: dict[str, tuple[str, ...]] = {
    "github.com": (
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl",
        "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEmKSENjQEezOmxkZMy7opKgwFB9nkt5YRrYMjN"
        "uG5N87uRgg6CLrbo5wAdT/y6v0mKV0U2w0WZ2YB/++Tpockg=",
        "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABgQCj7ndNxQowgcQnjshcLrqPEiiphnt+VTTvDP6mHBL9j1aNUkY4Ue1gvwnGLVlOhGeYrnZaMgRK6+P"
        "KCUXaDbC7qtbW8gIkhL7aGCsOr/C56SJMy/BCZfxd1nWzAOxSDPgVsmerOBYfNqltV9/hWCqBywINIR+5dIg6JTJ72pcEpEjcYgXkE2YEFXV1JHnsK"
        "gbLWNlhScqb2UmyRkQyytRLtL+38TGxkxCflmO+5Z8CSSNY7GidjMIZ7Q4zMjA2n1nGrlTDkzwDCsw+wqFPGQA179cnfGWOWRVruj16z6XyvxvjJwbz"
        "0wQZ75XK5tKSb7FNyeIEs4TT4jk+S4dhPeAUC5y+bDYirYgM4GC7uEnztnZyaVWQ7B381AK4Qdrwt51ZqExKbQpTUNn+EjqoTwvqNj4kqx5QUCI0Th"
        "S/YkOxJCXmPUWZbhjpCg56i+2aB6CmK2JGhn57K5mj0MNdBXA4/WnwH6XoPWJzK5Nyu2zB3nAZp+S5hpQs+p1vN1/wsjk=",
    ),
    "gitlab.com": (
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAfuCHKVTjquxvt6CM6tdG4SLp1Btn/nOeHHE5UOzRdf",
        "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBFSMqzJeV9rUzU4kWitGjeR4PWSa29SPqJ1fVkht"
        "j3Hw9xjLVXVYrU9QlYWrOLXBpQ6KWjbjTDTdDkoohFzgbEY=",
        "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCsj2bNKTBSpIYDEGk9KxsGh3mySTRgMtXL583qmBpzeQ+jqCMRgBqB98u3z++J1sKlXHWfM9dyhS"
        "evkMwSbhoR8XIq/U0tCNyokEi/ueaBMCvbcTHhO7FcwzY92WK4Yt0aGROY5qX2UKSeOvuP4D6TPqKF1onrSzH9bx9XUf2lEdWT/ia1NEKjunUqu1xOB"
        "/StKDHMoX4/OKyIzuS0q/T1zOATthvasJFoPrAjkohTyaDUz2LN5JoH839hViyEG82yB+MjcFV5MU3N1l1QL3cVUCh93xSaua1N85qivl+siMkPGbO5"
        "xR/En4iEY6K2XPASUEMaieWVNTRCtJ4S8H+9",
    ),
    "bitbucket.org": (
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIazEu89wgQZ4bqs3d63QSMzYVa0MuJ2e2gKTKqu+UUO",
        "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBPIQmuzMBuKdWeF4+a2sjSSpBK0iqitSQ+5BM9Kh"
        "pexuGt20JpTVM7u5BDZngncgrqDMbWdxMWWOGtZ9UgbqgZE=",
        "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABgQDQeJzhupRu0u0cdegZIa8e86EG2qOCsIsD1Xw0xSeiPDlCr7kq97NLmMbpKTX6Esc30NuoqEEHCu"
        "c7yWtwp8dI76EEEB1VqY9QJq6vk+aySyboD5QF61I/1WeTwu+deCbgKMGbUijeXhtfbxSxm6JwGrXrhBdofTsbKRUsrN1WoNgUa8uqN1Vx6WAJw1JH"
        "PhglEGGHea6QICwJOAr/6mrui/oB7pkaWKHj3z7d1IC4KWLtY47elvjbaTlkN04Kc/5LFEirorGYVbt15kAUlqGM65pk6ZBxtaO3+30LVlORZkxOh+"
        "LKL/BvbZ/iRNhItLqNyieoQj/uh/7Iv4uyH/cV/0b4WDSd3DptigWq84lJubb9t/DnZlrJazxyDCulTmKdOR7vs9gMTo+uoIrPSb8ScTtvw65+odKA"
        "lBj59dhnVp9zd7QUojOpXlL62Aw56U4oO+FALuevvMjiWeavKhJqlR7i5n9srYcrNV7ttmDw7kf/97P5zauIhxcjX+xHv4M=",
    ),
}
HOST_KEY_TYPES = (
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "ssh-rsa",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
)


PEM_BLOCK = re.compile(r"^-----BEGIN ([A-Z0-9 ]+)-----\n(.*?)\n-----END \1-----$", re.DOTALL)
PUBLIC_KEY_TEXT = re.compile(
    r"^(ssh-\S+|ecdsa-\S+|sk-\S+)\s+AAAA|^-----BEGIN [A-Z0-9 ]*PUBLIC KEY-----|^---- BEGIN SSH2 PUBLIC KEY"
)
PRIVATE_KEY_LABELS = ("OPENSSH PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "DSA PRIVATE KEY", "PRIVATE KEY")
OPENSSH_KEY_MAGIC = b"openssh-key-v1\x00"


SSH_KEY_RULE = (
    "must be an SSH private key: the text of the key file (-----BEGIN OPENSSH PRIVATE KEY----- ...), "
    "or that text in base64 (base64 -w 0)"
)
PUBLIC_KEY_RULE = (
    "is a public key (a .pub file): give the private key of the repository's deploy key instead: "
    "pulumi config set --secret gitSyncSshKey < airflow-dags"
)


PASSPHRASE_RULE = (
    "is protected by a passphrase, which git-sync cannot type: use a deploy key without one "
    "(ssh-keygen -t ed25519 -N '' -f airflow-dags)"
)


@dataclass(frozen=True)
class KnownHostsLine:
    """One line of a known_hosts file."""

    text: str
    marker: str
    hosts: tuple[str, ...]

    def covers(self, name: str) -> bool:
        """Whether ssh would verify `name` (a known_hosts host name) with this line."""
        if self.marker == "@revoked":
            return False
        if any(pattern.startswith("!") and host_pattern_matches(pattern[1:], name) for pattern in self.hosts):
            return False
        return any(not pattern.startswith("!") and host_pattern_matches(pattern, name) for pattern in self.hosts)


def base64_text(raw: str) -> str | None:
    """The text that `raw` is the base64 of, or None when it is not base64 of text."""
    try:
        return base64.b64decode("".join(raw.split()), validate=True).decode("utf-8")
    except ValueError:  # binascii.Error and UnicodeDecodeError are ValueErrors
        return None


def pem_body(body: str) -> bytes:
    try:
        return base64.b64decode("".join(body.split()), validate=True)
    except ValueError:
        raise ValueError(SSH_KEY_RULE) from None


def openssh_cipher(blob: bytes) -> str:
    """The cipher of an OpenSSH private key file ('none' when it has no passphrase)."""
    start = len(OPENSSH_KEY_MAGIC) + 4
    if not blob.startswith(OPENSSH_KEY_MAGIC) or len(blob) < start:
        raise ValueError(SSH_KEY_RULE)
    (length,) = struct.unpack_from(">I", blob, len(OPENSSH_KEY_MAGIC))
    cipher = blob[start : start + length]
    if len(cipher) != length:
        raise ValueError(SSH_KEY_RULE)
    return cipher.decode("ascii", "replace")


def ssh_private_key(raw: str) -> str:
    """The key file's text with LF line ends and a final newline: `pulumi config set < file` drops that newline, and
    OpenSSH refuses a key file without it. Takes the text or, as the seed article made it, its base64."""
    text = raw.strip().replace("\r\n", "\n")
    if not text.startswith("-") and not PUBLIC_KEY_TEXT.match(text):
        decoded = base64_text(text)
        if decoded is None:
            raise ValueError(SSH_KEY_RULE)
        text = decoded.strip().replace("\r\n", "\n")
    if PUBLIC_KEY_TEXT.match(text):
        raise ValueError(PUBLIC_KEY_RULE)
    block = PEM_BLOCK.match(text)
    if block and (block[1] == "ENCRYPTED PRIVATE KEY" or "Proc-Type: 4,ENCRYPTED" in block[2]):
        raise ValueError(PASSPHRASE_RULE)
    if not block or block[1] not in PRIVATE_KEY_LABELS:
        raise ValueError(SSH_KEY_RULE)
    der = pem_body(block[2])
    if block[1] == "OPENSSH PRIVATE KEY":
        if openssh_cipher(der) != "none":
            raise ValueError(PASSPHRASE_RULE)
    elif not der.startswith(b"\x30"):  # every PEM private key is a DER SEQUENCE
        raise ValueError(SSH_KEY_RULE)
    return text + "\n"


def host_pattern_matches(pattern: str, name: str) -> bool:
    """ssh's matching of a known_hosts host field: `*` and `?` wildcards, or a hashed name (`|1|salt|hmac`)."""
    if pattern.startswith("|1|"):
        salt, digest = pattern[3:].split("|", 1)
        # Strict base64: ssh compares the field as written, so a stray character is a name it never matches.
        expected = hmac.new(base64.b64decode(salt, validate=True), name.encode(), hashlib.sha1).digest()
        return hmac.compare_digest(expected, base64.b64decode(digest, validate=True))
    wildcard = re.escape(pattern.lower()).replace(r"\*", ".*").replace(r"\?", ".")
    return re.fullmatch(wildcard, name.lower()) is not None


def known_hosts_line(number: int, text: str) -> KnownHostsLine:
    fields = text.split()
    marker = fields.pop(0) if fields[0].startswith("@") else ""
    try:
        hosts, key_type, key = fields[0], fields[1], fields[2]
        blob = base64.b64decode(key, validate=True)
        for pattern in hosts.split(","):
            if pattern.startswith("|1|"):
                host_pattern_matches(pattern, "")
    except (IndexError, ValueError):
        blob, key_type, hosts = b"", "", ""
    encoded_type = key_type.encode()
    if (
        marker not in ("", "@cert-authority", "@revoked")
        or key_type not in HOST_KEY_TYPES
        or not blob.startswith(struct.pack(">I", len(encoded_type)) + encoded_type)  # the key says its own type
    ):
        raise ValueError(
            f"line {number} is not a known_hosts line '<host> <key type> <base64 key>' as printed by ssh-keyscan"
        )
    return KnownHostsLine(text=text, marker=marker, hosts=tuple(hosts.split(",")))


def known_hosts_lines(raw: str) -> tuple[KnownHostsLine, ...]:
    numbered = enumerate((line.strip() for line in raw.splitlines()), start=1)
    return tuple(known_hosts_line(number, line) for number, line in numbered if line and not line.startswith("#"))


def keyscan_command(repository: GitRepository) -> str:
    port = "" if repository.port == SSH_PORT else f" -p {repository.port}"
    return f"ssh-keyscan{port} {repository.host}"


def check_ssh_host_keys(
    reader: ConfigReader, repository: GitRepository, verify: bool, lines: tuple[KnownHostsLine, ...]
) -> str:
    """The known_hosts file for this repository; records a problem when the host cannot be verified."""
    shown = repr(reader.text("gitSyncKnownHosts"))
    if not verify:
        if lines:
            reader.fail("gitSyncKnownHosts", shown, "is unused while airflow:gitSyncVerifyHostKeys is false")
        return ""
    built_in = BUILT_IN_HOST_KEYS.get(repository.host, ()) if repository.port == SSH_PORT else ()
    name = repository.known_hosts_name
    if not built_in and not any(line.covers(name) for line in lines):
        scan = keyscan_command(repository)
        if not lines:
            reader.fail(
                "gitSyncKnownHosts",
                shown,
                f"is required for {name}, which has no built-in host key (only {', '.join(BUILT_IN_HOST_KEYS)} have): "
                f"`{scan} > known_hosts`, compare the fingerprints of `ssh-keygen -lf known_hosts` with those its "
                "operator publishes, then set the keys you checked: `pulumi config set gitSyncKnownHosts < known_hosts`",
            )
        else:
            reader.fail(
                "gitSyncKnownHosts", shown, f"has no line for {name}, the host of airflow:gitSyncRepository: add `{scan}`"
            )
    return "".join(f"{repository.host} {key}\n" for key in built_in) + "".join(f"{line.text}\n" for line in lines)

