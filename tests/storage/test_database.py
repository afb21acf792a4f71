"""parse_database_url and DatabaseTarget: the one place a database location is understood."""

from __future__ import annotations

import pytest
import rich.pretty

from roadmap_svc.config import ConfigError
from roadmap_svc.storage.database import DatabaseTarget, parse_database_url

SECRET = "s3cr3t-Pa55"
SOCKET_DIR = "/tmp/x"  # noqa: S108 - only a name inside URLs; nothing is opened


def test_tcp_url_with_every_part() -> None:
    target = parse_database_url("postgresql://alice:pw@db.example.com:6543/roadmap")
    assert target == DatabaseTarget(
        host="db.example.com", port=6543, user="alice", password="pw", dbname="roadmap"
    )


def test_tcp_url_defaults() -> None:
    target = parse_database_url("postgres://db.example.com")
    assert target == DatabaseTarget(
        host="db.example.com", port=5432, user="postgres", password="", dbname="postgres"
    )


def test_socket_url_takes_host_from_the_query() -> None:
    target = parse_database_url("postgresql://postgres:@/postgres?host=/tmp/x")
    assert target == DatabaseTarget(
        host=SOCKET_DIR, port=5432, user="postgres", password="", dbname="postgres"
    )


def test_socket_url_with_port_in_the_query() -> None:
    target = parse_database_url("postgresql://bob@/app?host=/var/run/postgresql&port=5433")
    assert target.host == "/var/run/postgresql"
    assert target.port == 5433
    assert target.user == "bob"
    assert target.dbname == "app"


def test_percent_encoded_user_password_and_database() -> None:
    target = parse_database_url("postgresql://a%40b:p%3Aw%2F%40%23@h:5432/my%20db")
    assert target.user == "a@b"
    assert target.password == "p:w/@#"
    assert target.dbname == "my db"


@pytest.mark.parametrize(
    "url",
    [
        "mysql://u@h/db",
        "http://u@h/db",
        "db.example.com:5432/roadmap",  # no scheme at all
        "",
    ],
)
def test_bad_scheme_is_a_config_error(url: str) -> None:
    with pytest.raises(ConfigError, match="must start with postgresql://"):
        parse_database_url(url)


@pytest.mark.parametrize("url", ["postgresql://u@/db", "postgresql:///db", "postgresql://"])
def test_no_host_is_a_config_error(url: str) -> None:
    with pytest.raises(ConfigError, match="names no host"):
        parse_database_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://u@h:notaport/db",
        "postgresql://u@h:99999/db",
        "postgresql://u@/db?host=/tmp/x&port=abc",
        "postgresql://u@h/db?port=5.5",
    ],
)
def test_bad_port_is_a_config_error(url: str) -> None:
    with pytest.raises(ConfigError, match="invalid port"):
        parse_database_url(url)


@pytest.mark.parametrize(
    "url", ["postgresql://u@h/db?port=99999", "postgresql://u@/db?host=/tmp/x&port=-1"]
)
def test_out_of_range_query_port_is_a_config_error(url: str) -> None:
    with pytest.raises(ConfigError):
        parse_database_url(url)


def test_port_zero_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        parse_database_url("postgresql://u@h:0/db")


@pytest.mark.parametrize(
    "target",
    [
        DatabaseTarget(host="localhost"),
        DatabaseTarget(host="127.0.0.1", port=6543, user="app", password="pw", dbname="roadmap"),
        DatabaseTarget(host="db.internal", user="a@b c", password="p:w/@#?&%+ é", dbname="x y"),
        DatabaseTarget(host="db.internal", dbname="odd/name?x=1&y#z"),
        DatabaseTarget(host=SOCKET_DIR),
        DatabaseTarget(host=SOCKET_DIR + "/dir with space+plus&amp", port=5433, password=SECRET),
        DatabaseTarget(host="/run/postgresql", user="svc", password="p@ss:word", dbname="r_1"),
    ],
    ids=repr,
)
def test_dsn_round_trips_through_parse(target: DatabaseTarget) -> None:
    assert parse_database_url(target.dsn) == target


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://alice:pw@db.example.com:6543/roadmap",
        "postgresql://postgres:@/postgres?host=/tmp/x",
        "postgresql://a%40b:p%3Aw@h/my%20db",
    ],
)
def test_parsed_url_round_trips_through_dsn(url: str) -> None:
    target = parse_database_url(url)
    assert parse_database_url(target.dsn) == target


def test_ipv6_host_round_trips_through_dsn() -> None:
    target = parse_database_url("postgresql://u:pw@[::1]:5433/db")
    assert target.host == "::1"
    assert parse_database_url(target.dsn) == target


def test_with_database_changes_only_the_database() -> None:
    target = DatabaseTarget(host="h", port=1234, user="u", password=SECRET, dbname="a")
    other = target.with_database("b")
    assert other == DatabaseTarget(host="h", port=1234, user="u", password=SECRET, dbname="b")
    assert target.dbname == "a"


def test_repr_and_str_never_show_the_password() -> None:
    target = parse_database_url(f"postgresql://alice:{SECRET}@db.example.com:6543/roadmap")
    assert target.password == SECRET
    for text in (repr(target), str(target), f"{target}", f"{target!r}", repr([target])):
        assert SECRET not in text
        assert "alice@db.example.com:6543/roadmap" in text
    socket_target = DatabaseTarget(host=SOCKET_DIR, password=SECRET)
    assert SECRET not in repr(socket_target)
    assert SECRET not in repr(socket_target.with_database("other"))


def test_rich_repr_never_shows_the_password() -> None:
    target = DatabaseTarget(host="h", password=SECRET)
    assert SECRET not in rich.pretty.pretty_repr(target)
