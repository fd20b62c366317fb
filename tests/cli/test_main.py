from typer.testing import CliRunner

from chorus_connect import __version__
from chorus_connect.cli.main import app


def test_version_flag_prints_the_package_version():
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"chorus-connect {__version__}"


def test_help_lists_the_simulator_group():
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "simulator" in result.output
