"""`chorus web create-admin` and `chorus web api-key`, through the real command line (Typer's runner)."""

from __future__ import annotations

from typer.testing import CliRunner

from chorus_connect.cli.main import app as cli
from chorus_connect.store import NewPisteApplication, NewStructure, Store, UserRole, generate_key


def test_create_the_first_administrator_then_an_api_key(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    monkeypatch.setenv("CHORUS_SECRET_KEY", generate_key())
    runner = CliRunner()
    short = runner.invoke(
        cli,
        ["web", "create-admin", "--email", "chef@example.fr", "--store", url],
        env={"CHORUS_ADMIN_PASSWORD": "short"},
    )
    assert short.exit_code == 1 and "at least 12" in short.output
    done = runner.invoke(
        cli,
        ["web", "create-admin", "--email", "Chef@Example.fr", "--name", "Chef", "--store", url],
        env={"CHORUS_ADMIN_PASSWORD": "a long enough passphrase"},
    )
    assert done.exit_code == 0, done.output
    assert "a long enough passphrase" not in done.output
    with Store.open(url) as store, store.read() as tx:
        user = tx.accounts.get_user("chef@example.fr")
        assert user.role is UserRole.ADMINISTRATOR and user.password_hash.startswith("$argon2id$")
    again = runner.invoke(
        cli,
        ["web", "create-admin", "--email", "chef@example.fr", "--store", url],
        env={"CHORUS_ADMIN_PASSWORD": "a long enough passphrase"},
    )
    assert again.exit_code == 1 and "exists already" in again.output
    missing = runner.invoke(cli, ["web", "api-key", "--name", "ERP", "--structure", "nope", "--store", url])
    assert missing.exit_code == 1 and "No structure 'nope'" in missing.output
    with Store.open(url) as store, store.transaction() as tx:
        tx.structures.add(
            NewStructure(
                name="acme",
                environment="sandbox",
                siret="00000000077465",
                technical_login="TECH_1_1@cpro.fr",
                technical_password="pw",
                piste=NewPisteApplication(
                    name="app", client_id="id", client_secret="secret", environment="sandbox"
                ),
            )
        )
    created = runner.invoke(
        cli, ["web", "api-key", "--name", "ERP", "--structure", "acme", "--read-only", "--store", url]
    )
    assert created.exit_code == 0, created.output
    key = created.stdout.strip().splitlines()[0]
    with Store.open(url) as store, store.read() as tx:
        found = tx.accounts.verify_api_key(key)
        assert (
            found is not None
            and found.access == "read_only"
            and [s.name for s in found.structures] == ["acme"]
        )


def test_web_help_lists_the_commands():
    result = CliRunner().invoke(cli, ["web", "--help"])
    assert result.exit_code == 0
    assert "create-admin" in result.output and "api-key" in result.output and "--port" in result.output
