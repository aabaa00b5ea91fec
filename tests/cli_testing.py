"""Helpers of the command-line tests: run ``lzgis`` in this process and read its one-line errors."""

from __future__ import annotations

from click.testing import CliRunner, Result

from gis.cli import cli


def invoke(*args: str) -> Result:
    """Run ``lzgis ARGS…`` in this process (exceptions propagate) and return click's result."""
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def one_error(result: Result, *fragments: str) -> str:
    """The one ``lzgis: error:`` line of a run that exited 2, checked to contain every fragment."""
    assert result.exit_code == 2, result.output
    lines = [ln for ln in result.stderr.splitlines() if ln.startswith("lzgis: error:")]
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]
