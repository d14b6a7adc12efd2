"""The metadata database's SQLAlchemy URL, read back into what other programs need to reach the same database.

The stack holds one URL per database (the in-cluster PostgreSQL's, or `externalDatabaseUrl`); the backups (libpq
files) and PgBouncer (its own config) connect with programs that take host, port, name and login separately. It also
writes the URLs the stack gives Airflow (the in-cluster database's, PgBouncer's).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from components.settings import DATABASE_DEFAULT_PORT

# libpq's connection parameters that a SQLAlchemy URL's query may carry (TLS, timeouts) and that another client of the
# same database needs too; anything else in the query is SQLAlchemy's own.
LIBPQ_QUERY_PARAMETERS = frozenset(
    {
        "sslmode", "sslrootcert", "sslcert", "sslkey", "sslcrl", "sslnegotiation", "channel_binding", "gssencmode",
        "connect_timeout", "target_session_attrs", "application_name", "options",
    }
)  # fmt: skip


@dataclass(frozen=True)
class DatabaseConnection:
    """A PostgreSQL database and its login, percent-encoding undone."""

    host: str
    port: int
    dbname: str
    user: str
    password: str
    libpq_options: dict[str, str]
    """The URL's query parameters that are libpq's (sslmode, ...)."""


def sqlalchemy_url(user: str, password: str, host: str, port: int, dbname: str) -> str:
    """The URL Airflow connects with. Percent-encoded, a password may hold any character: '@', ':', '/' or '%' cannot
    end it early, and SQLAlchemy decodes it back before connecting."""
    return f"postgresql+psycopg2://{quote(user, safe='')}:{quote(password, safe='')}@{host}:{port}/{dbname}"


def parse_database_url(url: str) -> DatabaseConnection:
    parts = urlsplit(url)
    return DatabaseConnection(
        host=parts.hostname or "",
        port=parts.port or DATABASE_DEFAULT_PORT,
        dbname=unquote(parts.path.lstrip("/")),
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        libpq_options={key: value for key, value in parse_qsl(parts.query) if key in LIBPQ_QUERY_PARAMETERS},
    )
