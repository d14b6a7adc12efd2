"""The reader of the stack's configuration: the keys Pulumi.yaml declares, their defaults, and every problem found.

`Pulumi.yaml` declares every key with its type, description and default; this package is the only reader of the stack's
configuration. It takes the defaults from `Pulumi.yaml` too (the Pulumi CLI does the same before the program starts), so
that the program, the offline render and the tests see the same values without a second copy of any default.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import pulumi
import yaml

from components.settings.rules import COMPONENTS, DEFAULT

PROJECT_DIR = Path(__file__).resolve().parent.parent.parent
PROJECT_FILE = PROJECT_DIR / "Pulumi.yaml"

T = TypeVar("T")


class SettingsError(Exception):
    """The stack configuration is invalid; the message lists every problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        count = f"{len(problems)} problem" + ("" if len(problems) == 1 else "s")
        super().__init__(f"Invalid stack configuration ({count}):\n" + "\n".join(f"  - {p}" for p in problems))


@cache
def project_file() -> dict[str, Any]:
    """The parsed Pulumi.yaml: project name and the declared configuration schema."""
    loaded: dict[str, Any] = yaml.safe_load(PROJECT_FILE.read_text())
    return loaded


def config_schema() -> dict[str, dict[str, Any]]:
    """This project's keys; Pulumi.yaml also sets a provider's config (`kubernetes:...`), which the program never reads."""
    schema: dict[str, dict[str, Any]] = {key: declared for key, declared in project_file()["config"].items() if ":" not in key}
    return schema


class ConfigReader:
    """Reads declared keys of this project, applies Pulumi.yaml defaults, and collects every problem."""

    def __init__(
        self,
        raw: Callable[[str], str | None],
        is_secret: Callable[[str], bool],
        present: Callable[[], Iterable[str]] = tuple,
    ) -> None:
        self._raw = raw
        self._is_secret = is_secret
        self._present = present
        self.project = str(project_file()["name"])
        self.problems: list[str] = []
        self.secret_keys: set[str] = set()
        """The keys read with `secret`: Pulumi.yaml cannot mark optional secrets, so the reading does."""

    def qualified(self, key: str) -> str:
        return f"{self.project}:{key}"

    def _declared(self, key: str) -> dict[str, Any]:
        try:
            return config_schema()[key]
        except KeyError:
            raise KeyError(f"config key {key!r} is read but not declared in Pulumi.yaml") from None

    def default(self, key: str) -> str:
        """The default declared in Pulumi.yaml, as the text the CLI would pass (JSON for an object or array). Every key
        declares one, so that a stack sets only what it changes; a key without one is a bug of the program."""
        default = self._declared(key).get("default")
        if default is None:
            raise KeyError(f"config key {key!r} declares no default in Pulumi.yaml")
        if isinstance(default, dict | list):
            return json.dumps(default)
        return str(default).lower() if isinstance(default, bool) else str(default)

    def check_undeclared(self) -> None:
        """Records every key of this project that the stack sets but Pulumi.yaml does not declare. The CLI passes such
        a key silently, so a misspelled `workerReplica: 3` would otherwise deploy the default."""
        schema = config_schema()
        declared = {key.lower(): key for key in schema}
        prefix = f"{self.project}:"
        for qualified in sorted(set(self._present())):
            key = qualified.removeprefix(prefix)
            if not qualified.startswith(prefix) or key in schema:
                continue
            # A shortened key (gitSyncRepo) means the key it begins, before any merely similar one (gitSyncRef).
            extending = [name for name in declared if name.startswith(key.lower())]
            close = difflib.get_close_matches(key.lower(), extending or declared, n=1, cutoff=0.75 if not extending else 0)
            hint = f"did you mean {self.qualified(declared[close[0]])}?" if close else "see the configuration reference"
            # The value is not shown: it may be a secret.
            self.fail(key, "(set)", f"is not a key this program reads: {hint}")

    def text(self, key: str) -> str:
        """The configured value as text, or the declared default."""
        value = self._raw(self.qualified(key))
        return self.default(key) if value is None else value

    def fail(self, key: str, shown_value: str, rule: str) -> None:
        self.problems.append(f"{self.qualified(key)} = {shown_value}: {rule}")

    def read(self, key: str, parse: Callable[[str], T]) -> T:
        """The parsed value. A bad value is recorded as a problem, and the declared default stands in for it so that
        reading goes on and every problem is found; `read_settings` then fails with all of them."""
        raw = self.text(key)
        try:
            return parse(raw)
        except ValueError as error:
            self.fail(key, repr(raw), str(error))
            return parse(self.default(key))

    def per_component(self, key: str, holding: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """The entries of a `{default: {...}, <component>: {...}}` key; an entry of another name or shape is a
        problem, and skipped."""
        table, _ = self.structured(key, dict)
        for component, entries in table.items():
            if component not in (DEFAULT, *COMPONENTS) or not isinstance(entries, dict):
                self.fail(f"{key}.{component}", "(entry)", f"must be one of {DEFAULT}, {', '.join(COMPONENTS)}, {holding}")
            else:
                yield component, entries

    def text_and_secrecy(self, key: str) -> tuple[str, bool]:
        """A text key that the stack may store in plain text or encrypted, and whether it is encrypted."""
        return self.text(key), self._is_secret(self.qualified(key))

    def structured(self, key: str, kind: type[dict[str, Any]] | type[list[Any]]) -> tuple[Any, bool]:
        """An object or array key (`pulumi config set --path`), parsed from the JSON the CLI passes, and whether the
        stack stores any part of it encrypted (then all of it is treated as secret). A value of another shape is a
        problem, reported without the value, and the declared default stands in."""
        encrypted = self._is_secret(self.qualified(key))
        raw = self.text(key)
        try:
            value = json.loads(raw)
        except ValueError:
            value = None
        if not isinstance(value, kind):
            shown = "(secret)" if encrypted else repr(raw)
            self.fail(key, shown, f"must be {'an object' if kind is dict else 'a list'}: set it with `pulumi config set --path`")
            return json.loads(self.default(key)), encrypted
        return value, encrypted

    def secret(self, key: str, parse: Callable[[str], str]) -> pulumi.Output[str] | None:
        """A secret value as a secret Output (None when unset). Its text never appears in a message.

        Pulumi.yaml declares such a key `default: ""` without `secret: true` (which would make the CLI require it in
        every stack), so the CLI hands the program an unencrypted "" when the stack does not set it; that is "unset".
        An encrypted empty value is what `pulumi config set --secret key "$(command)"` stores when the command
        failed, and is refused: taking it as "unset" would silently generate a new Fernet key that locks kept data
        out, or deploy an in-cluster database instead of the external one.

        The Output holds what `parse` returns, so a rule may also normalise the value (line ends, a final newline)."""
        if self._declared(key).get("default") != "":
            raise KeyError(f'config key {key!r} is read as a secret but not declared `default: ""` in Pulumi.yaml')
        self.secret_keys.add(key)
        raw = self._raw(self.qualified(key))
        encrypted = self._is_secret(self.qualified(key))
        if not raw:
            if raw == "" and encrypted:
                self.fail(key, "''", f"is empty: set the value, or remove the key with `pulumi config rm {key}`")
            return None
        if not encrypted:
            self.fail(key, "(plain text)", f"must be stored encrypted: pulumi config set --secret {key} ...")
        try:
            return pulumi.Output.secret(parse(raw))
        except ValueError as error:
            # read_settings fails with every problem; the text as given stands in, so that a rule that reads this key
            # beside another does not report it a second time as missing.
            self.fail(key, "(secret)", str(error))
            return pulumi.Output.secret(raw)

