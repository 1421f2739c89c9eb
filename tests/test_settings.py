"""Settings as a new user meets them: the unchanged .env.example, empty values, bad values."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

import bot.cli as cli
from bot.config import EXAMPLES, Settings, SettingsError, load_settings

REPO = Path(__file__).resolve().parent.parent
ENV_EXAMPLE = REPO / ".env.example"
ALIASES = [str(field.validation_alias) for field in Settings.model_fields.values()]
runner = CliRunner()


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No setting from the developer's environment or a stray .env leaks into a test."""
    for name in ALIASES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def example_variables() -> dict[str, str]:
    pairs = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            pairs[name.strip()] = value.strip()
    return pairs


def test_every_variable_in_env_example_is_a_setting_with_an_example():
    names = example_variables()
    assert names, ".env.example lists no variables"
    assert set(names) <= set(ALIASES)
    assert set(ALIASES) == set(EXAMPLES)


def test_the_unchanged_env_example_loads_as_the_defaults(clean_env):
    settings = Settings(_env_file=ENV_EXAMPLE)
    assert settings.model_dump() == Settings(_env_file=None).model_dump()
    assert settings.discord_guild_id is None
    assert settings.discord_shard_count is None
    assert settings.heartbeat_file is None
    assert settings.database_url == "sqlite+aiosqlite:///./mlq.db"
    assert settings.default_platform() == "console"


def test_empty_values_mean_unset_in_every_source(clean_env, monkeypatch):
    (clean_env / ".env").write_text("DISCORD_SHARD_COUNT=\nMLQ_TICK_SECONDS=  \n")
    monkeypatch.setenv("DISCORD_GUILD_ID", "")
    monkeypatch.setenv("MLQ_HEARTBEAT_FILE", "")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "")
    settings = Settings(MLQ_LOG_LEVEL="", MLQ_DATABASE_URL=" ")
    assert settings.discord_guild_id is None and settings.discord_shard_count is None
    assert settings.heartbeat_file is None  # not Path('.')
    assert settings.tick_seconds == 30 and settings.log_level == "INFO"
    assert settings.database_url == "sqlite+aiosqlite:///./mlq.db"
    assert settings.default_platform() == "console"


def test_a_bad_value_is_one_line_with_the_variable_the_value_and_an_example(clean_env):
    (clean_env / ".env").write_text("DISCORD_SHARD_COUNT=four\nMLQ_LOG_LEVEL=loud\n")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    lines = str(caught.value).splitlines()
    assert len(lines) == 2
    shard = next(line for line in lines if "DISCORD_SHARD_COUNT" in line)
    assert "'four'" in shard and "DISCORD_SHARD_COUNT=4" in shard
    level = next(line for line in lines if "MLQ_LOG_LEVEL" in line)
    assert "'loud'" in level and "DEBUG" in level and "MLQ_LOG_LEVEL=INFO" in level


def test_mlq_run_with_a_bad_setting_prints_one_line_and_exits_2(clean_env, monkeypatch):
    monkeypatch.setenv("MLQ_TICK_SECONDS", "soon")
    result = runner.invoke(cli.app, ["run"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "bad setting MLQ_TICK_SECONDS='soon': Input should be a valid number, unable to parse "
        "string as a number (for example MLQ_TICK_SECONDS=30)"
    ]


def test_cp_env_example_then_mlq_run_starts_the_console(clean_env, monkeypatch):
    shutil.copy(ENV_EXAMPLE, clean_env / ".env")
    monkeypatch.setattr(cli, "stdin_is_terminal", lambda: True)  # as typed in a terminal
    result = runner.invoke(cli.app, ["run"], input="/time\n/quit\n")
    assert result.exit_code == 0, result.output
    assert "mlq console" in result.output
    assert "simulated time:" in result.output
    assert (clean_env / "mlq.db").exists()


@pytest.mark.parametrize(
    ("url", "needle"),
    [
        ("mysql://mlq:pw@db/mlq", "'mysql'"),
        ("not a url", "not a database URL"),
        ("sqlite+aiosqlite:///", "no file"),
    ],
)
def test_a_database_url_mlq_cannot_use_is_one_line(clean_env, monkeypatch, url, needle):
    """These ended in a traceback (a missing MySQL driver, SQLAlchemy's ArgumentError)."""
    monkeypatch.setenv("MLQ_DATABASE_URL", url)
    result = runner.invoke(cli.app, ["run", "--platform", "console"], input="/quit\n")
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("bad setting MLQ_DATABASE_URL=") and needle in lines[0]
    assert "SQLite or PostgreSQL" in lines[0] and "for example" in lines[0]
    assert ":pw@" not in lines[0]  # a password is never printed


@pytest.mark.parametrize(
    ("url", "needle"),
    [
        ("sqlite+aiosqlite:///{tmp}/no/such/folder/mlq.db", "unable to open database file"),
        ("postgresql+asyncpg://mlq:secret@127.0.0.1:{port}/mlq", "127.0.0.1"),
    ],
)
def test_a_database_mlq_cannot_open_at_start_is_one_line(clean_env, monkeypatch, url, needle):
    """A folder that does not exist, or no server listening: one line naming the database
    (its password hidden) and why, never a traceback."""
    import socket

    with socket.socket() as probe:  # a local port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("MLQ_DATABASE_URL", url.format(tmp=clean_env, port=port))
    for args in (["run", "--platform", "console"], ["db", "upgrade"]):
        result = runner.invoke(cli.app, args, input="/quit\n")
        assert result.exit_code == 1, result.output
        lines = result.output.strip().splitlines()
        assert len(lines) == 1, result.output
        assert lines[0].startswith("mlq: cannot open the database ") and needle in lines[0]
        assert lines[0].endswith("; check MLQ_DATABASE_URL")
        assert "secret" not in lines[0] and "Traceback" not in result.output


@pytest.mark.parametrize(
    ("line", "variable", "needle"),
    [
        ("DISCORD_TOKEN='MTA1 NjA'", "DISCORD_TOKEN", "a space"),
        ('SLACK_BOT_TOKEN=xoxb-1-"2"', "SLACK_BOT_TOKEN", "a quote"),
        ("SLACK_BOT_TOKEN=xapp-1-A0-secret", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN"),
        ("SLACK_APP_TOKEN=xoxb-1-secret", "SLACK_APP_TOKEN", "SLACK_BOT_TOKEN"),
    ],
)
def test_a_mangled_token_is_one_line_before_any_network(clean_env, line, variable, needle):
    """A token pasted with a space or quotes inside, or the two Slack tokens swapped, went to
    the platform as it was and came back as a network or auth failure far from the cause."""
    (clean_env / ".env").write_text(line + "\n")
    result = runner.invoke(cli.app, ["run"])
    assert result.exit_code == 2, result.output
    [shown] = result.output.strip().splitlines()
    assert shown.startswith(f"bad setting {variable}=(hidden): ") and needle in shown
    assert "secret" not in shown and "MTA1" not in shown


def test_spaces_around_a_token_are_not_part_of_it(clean_env):
    (clean_env / ".env").write_text('SLACK_BOT_TOKEN=" xoxb-1-abc "\nDISCORD_TOKEN=\tMTA.x \n')
    settings = load_settings()
    assert settings.slack_bot_token.get_secret_value() == "xoxb-1-abc"
    assert settings.discord_token.get_secret_value() == "MTA.x"


def test_a_heartbeat_file_in_a_folder_that_does_not_exist_is_one_line(clean_env, monkeypatch):
    monkeypatch.setenv("MLQ_HEARTBEAT_FILE", str(clean_env / "no-such-folder" / "beat"))
    result = runner.invoke(cli.app, ["run", "--platform", "console"], input="/quit\n")
    assert result.exit_code == 2, result.output
    [line] = result.output.strip().splitlines()
    assert line.startswith("bad setting MLQ_HEARTBEAT_FILE=") and "no-such-folder" in line
    assert "does not exist" in line
    monkeypatch.setenv("MLQ_HEARTBEAT_FILE", str(clean_env / "beat"))  # a new file: fine
    assert load_settings().heartbeat_file == clean_env / "beat"


def test_the_heartbeat_flag_wins_over_a_bad_heartbeat_setting(clean_env, monkeypatch):
    """The image passes --heartbeat-file so that no .env value can break the health check:
    a bad MLQ_HEARTBEAT_FILE under the flag must not stop the bot either."""
    monkeypatch.setenv("MLQ_HEARTBEAT_FILE", str(clean_env / "no-such-folder" / "beat"))
    args = ["run", "--platform", "console", "--heartbeat-file", str(clean_env / "beat")]
    result = runner.invoke(cli.app, args, input="/quit\n")
    assert result.exit_code == 0, result.output
    bad = runner.invoke(cli.app, [*args[:-1], str(clean_env / "nope" / "b")], input="/quit\n")
    assert bad.exit_code == 2 and "nope" in bad.output


@pytest.mark.parametrize(
    ("line", "variable"),
    [
        ('MLQ_DATABASE_URL="postgresql+asyncpg://mlq:secret@db/mlq', "MLQ_DATABASE_URL"),
        ('SLACK_BOT_TOKEN="xoxb-secret"x', "SLACK_BOT_TOKEN"),
        ("MLQ_TICK_SECONDS='30' s", "MLQ_TICK_SECONDS"),
    ],
)
def test_a_dotenv_line_that_cannot_be_read_stops_start_up(clean_env, line, variable):
    """python-dotenv skipped such a line with a warning, and an unclosed quote took every
    line after it along: the bot started on the default SQLite file instead of PostgreSQL."""
    (clean_env / ".env").write_text(f"MLQ_LOG_LEVEL=INFO\n{line}\nMLQ_CONSOLE_USER=ada\n")
    result = runner.invoke(cli.app, ["run", "--platform", "console"], input="/quit\n")
    assert result.exit_code == 2, result.output
    [shown] = result.output.strip().splitlines()
    assert shown.startswith(f"bad setting {variable} in .env line 2: ")
    assert "secret" not in shown and not (clean_env / "mlq.db").exists()
