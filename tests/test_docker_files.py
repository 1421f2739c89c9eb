"""The Dockerfile and compose.yaml agree with each other and with the code (no Docker here).

They are read as text and YAML: paths, ports and variables must match, and the settings the
container would see (image ENV, then an --env-file made from .env.example) must keep the
database on the volume and the heartbeat where the HEALTHCHECK looks.
"""

from __future__ import annotations

import inspect
import json
import re
import shlex
import shutil
import tomllib
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

import bot.cli as cli
from bot.config import Settings, SettingsError, load_settings

REPO = Path(__file__).resolve().parent.parent
ALIASES = {str(field.validation_alias) for field in Settings.model_fields.values()}
runner = CliRunner()


def dockerfile_instructions(stage: int = -1) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of one build stage, continuation lines joined."""
    text = re.sub(r"\\\n", " ", (REPO / "Dockerfile").read_text())
    stages: list[list[tuple[str, str]]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        if word.upper() == "FROM":
            stages.append([])
        stages[-1].append((word.upper(), rest.strip()))
    return stages[stage]


def one(instruction: str, stage: int = -1) -> str:
    found = [rest for word, rest in dockerfile_instructions(stage) if word == instruction]
    assert len(found) == 1, f"expected one {instruction}, found {found}"
    return found[0]


def image_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for word, rest in dockerfile_instructions():
        if word == "ENV":
            env.update(part.split("=", 1) for part in shlex.split(rest))
    return env


def exec_form(text: str) -> list[str]:
    return json.loads(text[text.index("[") :])


def flag(argv: list[str], name: str) -> str:
    assert name in argv, f"{name} missing from {argv}"
    return argv[argv.index(name) + 1]


def interpolate(value: str) -> str:
    """Compose's ${VAR:-default}, with every variable unset."""
    return re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", value)


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((REPO / "compose.yaml").read_text())


def test_the_image_keeps_sqlite_on_its_volume():
    volume = exec_form(one("VOLUME"))
    assert volume == [image_env()["MLQ_DATA_DIR"]] == ["/data"]
    settings = Settings(_env_file=None, **image_env())
    assert make_url(settings.database_url).database == "/data/mlq.db"
    assert "MLQ_DATABASE_URL" not in image_env()  # an empty --env-file value cannot blank it


def test_entrypoint_and_healthcheck_share_the_heartbeat_file(compose):
    entry = exec_form(one("ENTRYPOINT"))
    check = exec_form(one("HEALTHCHECK"))
    assert entry[:2] == ["mlq", "run"] and check[:2] == ["mlq", "health"]
    path = flag(entry, "--heartbeat-file")
    assert flag(check, "--heartbeat-file") == path
    bot_check = compose["services"]["bot"]["healthcheck"]["test"]
    assert bot_check[0] == "CMD" and bot_check[1:] == check
    # The run and health commands really take that flag.
    for command in (cli.run, cli.health):
        assert "heartbeat_file" in inspect.signature(command).parameters


def test_ports_agree_with_the_run_command(compose):
    default_port = inspect.signature(cli.run).parameters["port"].default.default
    assert one("EXPOSE") == str(default_port)
    assert compose["services"]["bot"]["expose"] == [str(default_port)]


def test_the_image_copies_every_package_the_project_installs():
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    packages = {
        p.rstrip("*") for p in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    }
    copied = {rest.split()[0] for word, rest in dockerfile_instructions(0) if word == "COPY"}
    assert packages <= copied


def test_compose_runs_the_bot_on_its_postgres_once_it_is_healthy(compose):
    services, volumes = compose["services"], compose["volumes"]
    db, bot = services["db"], services["bot"]
    assert bot["build"] == "."
    assert bot["depends_on"]["db"]["condition"] == "service_healthy"
    # A named volume holds the PostgreSQL data.
    mounts = dict(m.split(":", 1)[::-1] for m in db["volumes"])
    assert mounts["/var/lib/postgresql/data"] in volumes
    # The health check asks for the same user and database the bot connects to.
    pg_env = {k: interpolate(str(v)) for k, v in db["environment"].items()}
    check = db["healthcheck"]["test"]
    assert check[:2] == ["CMD", "pg_isready"]
    assert flag(check, "-U") == pg_env["POSTGRES_USER"]
    assert flag(check, "-d") == pg_env["POSTGRES_DB"]
    url = make_url(interpolate(bot["environment"]["MLQ_DATABASE_URL"]))
    assert url.drivername == "postgresql+asyncpg"
    assert (url.host, url.port) == ("db", 5432)
    assert url.username == pg_env["POSTGRES_USER"]
    assert url.password == pg_env["POSTGRES_PASSWORD"]
    assert url.database == pg_env["POSTGRES_DB"]
    # Every variable the bot is given is a setting it reads.
    assert set(bot["environment"]) <= ALIASES
    assert (
        set(image_env()) - {"PIP_NO_CACHE_DIR", "PIP_DISABLE_PIP_VERSION_CHECK", "PYTHONUNBUFFERED"}
        <= ALIASES
    )
    # The settings the container would load accept that URL next to the image's ENV.
    settings = Settings(_env_file=None, **image_env(), MLQ_DATABASE_URL=str(url))
    assert settings.database_url.startswith("postgresql+asyncpg://")


def env_file_as_docker_reads_it(path: Path) -> dict[str, str]:
    """`docker run --env-file`: every VAR=value line, empty values included."""
    pairs = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#") and "=" in line:
            name, _, value = line.partition("=")
            pairs[name] = value
    return pairs


def container_env(env_file: dict[str, str]) -> dict[str, str]:
    return {**image_env(), **env_file}  # the env-file overrides the image's ENV


def test_env_example_as_an_env_file_keeps_the_database_and_heartbeat(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    for name in ALIASES:
        monkeypatch.delenv(name, raising=False)
    env = container_env(env_file_as_docker_reads_it(REPO / ".env.example"))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    assert settings.database_url == "sqlite+aiosqlite:////data/mlq.db"
    assert settings.heartbeat_file is None  # empty: ignored, and the flag supplies the path
    # The same with an env-file that blanks both variables on purpose.
    monkeypatch.setenv("MLQ_DATABASE_URL", "")
    monkeypatch.setenv("MLQ_HEARTBEAT_FILE", "")
    assert load_settings().database_url == "sqlite+aiosqlite:////data/mlq.db"


def test_a_laptop_sqlite_url_in_the_container_is_refused_in_one_line(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    for name, value in image_env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("MLQ_DATABASE_URL", "sqlite+aiosqlite:///./mlq.db")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-never-printed")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert "\n" not in message
    assert "MLQ_DATABASE_URL='sqlite+aiosqlite:///./mlq.db'" in message
    assert "/data" in message and "xoxb-never-printed" not in message
    monkeypatch.setenv("MLQ_DATABASE_URL", "sqlite+aiosqlite:////data/team.db")
    assert load_settings().database_url.endswith("/data/team.db")  # on the volume: fine


def test_no_tokens_and_no_terminal_exits_with_one_line(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    for name in ALIASES:
        monkeypatch.delenv(name, raising=False)
    shutil.copy(REPO / ".env.example", tmp_path / ".env")
    result = runner.invoke(cli.app, ["run", "--heartbeat-file", str(tmp_path / "beat")])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    for token in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "DISCORD_TOKEN"):
        assert token in lines[0]
    assert not (tmp_path / "mlq.db").exists()  # stopped before touching anything


def test_an_explicit_console_still_reads_piped_input(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    for name in ALIASES:
        monkeypatch.delenv(name, raising=False)
    result = runner.invoke(cli.app, ["run", "--platform", "console"], input="/time\n/quit\n")
    assert result.exit_code == 0, result.output
    assert "simulated time:" in result.output


def test_health_takes_the_heartbeat_file_as_a_flag(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLQ_HEARTBEAT_FILE", "")
    beat = tmp_path / "beat"
    beat.write_text(datetime.now(UTC).isoformat())
    ok = runner.invoke(cli.app, ["health", "--heartbeat-file", str(beat), "--max-age", "120"])
    assert ok.exit_code == 0 and "ok" in ok.output
