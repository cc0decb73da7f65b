"""The config file: the agreed format, discovery, command-line precedence, and errors that name the key."""

from __future__ import annotations

import datetime as dt
import json
import textwrap

import pytest
from typer.testing import CliRunner

from mlwaf import config, registry
from mlwaf.cli import app
from mlwaf.config import ConfigError
from mlwaf.model import Severity
from tests.gate_estate import build_estate, by, scan

runner = CliRunner()

FULL = """
fail-on = "high"
min-score = { security = 80, overall = 70 }
fail-on-unknown = false
checks = ["TST-*"]
skip-checks = ["TST-REL-001"]
inline-suppressions = false
baseline = "baselines/mlwaf-baseline.json"

[params]
required_tags = ["cost-center", "owner"]
min_max_nodes = 4

[params."TST-REL-001"]
min_max_nodes = 8

[[suppressions]]
check = "TST-SEC-*"
resource = "/subscriptions/*/resourceGroups/dev-*/*"
reason = "Dev sandboxes hold no customer data (RISK-142)"
expires = 2027-01-31

[[suppressions]]
check = "TST-OPS-001"
resource = "*"
reason = "Monitoring is rolled out in Q3"
"""


@pytest.fixture(scope="module")
def specs(pack):
    return registry.load([pack]).sorted()


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_the_documented_format_parses_completely(tmp_path, specs):
    cfg = config.load(write(tmp_path / "mlwaf.toml", FULL))
    assert cfg.fail_on == Severity.HIGH
    assert cfg.min_score == {"security": 80.0, "overall": 70.0}
    assert cfg.fail_on_unknown is False and cfg.inline_suppressions is False
    assert cfg.checks == ["TST-*"] and cfg.skip_checks == ["TST-REL-001"]
    assert cfg.baseline == tmp_path / "baselines" / "mlwaf-baseline.json"  # relative to the config file
    first, second = cfg.suppressions
    assert first.check == "TST-SEC-*" and first.expires == dt.date(2027, 1, 31)
    assert first.source.endswith("mlwaf.toml [[suppressions]] #1")
    assert second.expires is None and second.resource == "*"
    params = cfg.params_for(specs)
    # Shared values go to the checks that declare the name; a check's own table wins.
    assert params["TST-COST-001"] == {"required_tags": ["cost-center", "owner"]}
    assert params["TST-REL-001"] == {"min_max_nodes": 8}
    assert "TST-SEC-001" not in params


def test_pyproject_tool_table_and_discovery_from_a_subfolder(tmp_path):
    write(tmp_path / "pyproject.toml", """
        [project]
        name = "infra"

        [tool.mlwaf]
        fail-on = "medium"
    """)
    (tmp_path / ".git").mkdir()
    sub = tmp_path / "infra" / "ml"
    sub.mkdir(parents=True)
    assert config.find(sub) == tmp_path / "pyproject.toml"
    assert config.load(search_from=sub).fail_on == Severity.MEDIUM
    # An mlwaf.toml nearer the working directory wins.
    write(tmp_path / "infra" / "mlwaf.toml", 'fail-on = "low"\n')
    assert config.load(search_from=sub).fail_on == Severity.LOW


def test_discovery_stops_at_the_repository_root(tmp_path):
    write(tmp_path / "mlwaf.toml", 'fail-on = "high"\n')  # outside the repository: not ours
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    assert config.find(repo) is None
    assert config.load(search_from=repo) == config.Config()


def test_a_pyproject_without_the_tool_table_is_skipped_or_refused(tmp_path):
    write(tmp_path / "pyproject.toml", '[project]\nname = "x"\n')
    (tmp_path / ".git").mkdir()
    assert config.find(tmp_path) is None
    with pytest.raises(ConfigError, match=r"has no \[tool.mlwaf\] table"):
        config.load(tmp_path / "pyproject.toml")


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ('fail_on = "high"\n', "unknown key 'fail_on'; did you mean 'fail-on'?"),
        ('fial-on = "high"\n', "unknown key 'fial-on'"),
        ('fail-on = "critical"\n', "'critical' is not a severity"),
        ("fail-on = 3\n", "'fail-on' must be a string"),
        ('fail-on-unknown = "yes"\n', "'fail-on-unknown' must be true or false"),
        ("min-score = { safety = 80 }\n", "'min-score.safety'"),
        ("min-score = { security = 120 }\n", "from 0 to 100"),
        ('checks = "TST-*"\n', "'checks' must be an array"),
        ("skip-checks = [1]\n", "'skip-checks' must be a list of strings"),
        ('[[suppressions]]\ncheck = "X-1"\nresource = "*"\n', "'reason' is required"),
        ('[[suppressions]]\ncheck = "X-1"\nreason = "r"\n', "'resource' is required"),
        ('[[suppressions]]\ncheck = "X-1"\nresource = "*"\nreason = "r"\nexpires = "soon"\n',
         "'expires' must be a date"),
        ('[[suppressions]]\ncheck = "X-1"\nresource = "*"\nreason = "r"\nuntil = 2027-01-01\n',
         "[[suppressions]] #1: unknown key 'until'"),
        ('fail-on = "high\n', "not valid TOML"),
    ],
)
def test_config_errors_name_the_key(tmp_path, text, needle):
    path = write(tmp_path / "mlwaf.toml", text)
    with pytest.raises(ConfigError) as err:
        config.load(path)
    assert needle in str(err.value)
    assert str(path) in str(err.value)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("[params]\nrequired_tag = ['x']\n", "[params] has 'required_tag', a parameter no loaded check takes; "
                                             "did you mean 'required_tags'?"),
        ('[params."TST-REL-001"]\nmin_nodes = 3\n', "[params.\"TST-REL-001\"] has 'min_nodes', a parameter "
                                                   "TST-REL-001 does not take (it takes: min_max_nodes)"),
        ('[params."TST-REL-009"]\nmin_max_nodes = 3\n', "[params.\"TST-REL-009\"] names no loaded check"),
        ('[params]\n"TST-REL-001" = 3\n', "must be a table of that check's parameters"),
    ],
)
def test_parameter_errors_name_the_check_and_the_parameter(tmp_path, specs, text, needle):
    with pytest.raises(ConfigError) as err:
        config.load(write(tmp_path / "mlwaf.toml", text)).params_for(specs)
    assert needle in str(err.value)


def test_command_line_replaces_config_values(tmp_path):
    cfg = config.load(write(tmp_path / "mlwaf.toml", FULL))
    merged = cfg.with_options(fail_on="low", min_score=["security=50", "reliability=60"], fail_on_unknown=True,
                              checks=["TST-SEC-*"], inline_suppressions=True)
    assert merged.fail_on == Severity.LOW
    assert merged.min_score == {"security": 50.0, "overall": 70.0, "reliability": 60.0}  # replaced per pillar
    assert merged.fail_on_unknown is True and merged.inline_suppressions is True
    assert merged.checks == ["TST-SEC-*"] and merged.skip_checks == ["TST-REL-001"]
    assert cfg.with_options() == cfg  # nothing given, nothing changed


def test_params_reach_the_checks(tmp_path, pack, specs):
    estate = build_estate(tmp_path / "estate")
    assert by(scan(estate, pack), "TST-REL-001", "cpu-big").status.value == "PASS"  # 8 >= default 2
    cfg = config.load(write(tmp_path / "mlwaf.toml", '[params]\nrequired_tags = ["owner"]\nmin_max_nodes = 10\n'))
    result = scan(estate, pack, check_params=cfg.params_for(specs))
    assert by(result, "TST-REL-001", "cpu-big").message == "Scales to 8 node(s) only"
    assert by(result, "TST-COST-001", "mlw-prod").message == "Missing tags: owner"


def test_cli_reads_the_config_file_and_reports_its_errors(tmp_path, pack):
    estate = build_estate(tmp_path / "estate")
    out = tmp_path / "out.json"
    base = ["scan", str(estate), "--checks-dir", str(pack), "-q", "-f", "json", "-o", str(out)]
    cfg = write(tmp_path / "gate.toml", 'fail-on = "high"\nchecks = ["security"]\nskip-checks = ["MLW-*"]\n')
    result = runner.invoke(app, [*base, "--config", str(cfg)], catch_exceptions=False)
    assert result.exit_code == 1
    report = json.loads(out.read_text())
    assert {f["check_id"] for f in report["findings"]} == {"TST-SEC-001"}  # selection by pillar from the file
    assert report["gate"]["options"]["fail_on"] == "high"
    # The command line wins over the file.
    result = runner.invoke(app, [*base, "--config", str(cfg), "--fail-on", "low", "--checks", "TST-COST-001"])
    assert result.exit_code == 1
    assert {f["check_id"] for f in json.loads(out.read_text())["findings"]} == {"TST-COST-001"}
    bad = write(tmp_path / "bad.toml", 'fail-on = "high"\nminscore = 3\n')
    result = runner.invoke(app, [*base, "--config", str(bad)])
    assert result.exit_code == 2 and "unknown key 'minscore'" in result.output
    missing = runner.invoke(app, [*base, "--config", str(tmp_path / "nope.toml")])
    assert missing.exit_code == 2 and "cannot read it" in missing.output
    bad_params = write(tmp_path / "params.toml", '[params]\nregion_allow_list = ["westeurope"]\n')
    result = runner.invoke(app, [*base, "--config", str(bad_params), "--checks", "TST-*"])
    assert result.exit_code == 2 and "'region_allow_list'" in result.output


def test_the_readme_example_sets_every_declared_setting_and_parses():
    """Each setting is declared once (config.Config); the README's example is its documentation, so
    a new setting without it fails here, and so does an example the parser refuses."""
    import tomllib
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Configuration file"):]
    example = section[section.index("```toml") + len("```toml"):section.index("```", section.index("```toml") + 7)]
    data = tomllib.loads(example)
    assert set(data) == {s.key for s in config.Config.declared()}
    parsed = config.parse(data, "README.md")
    assert parsed.detail_limit == 250000 and parsed.max_file_bytes == 256 * 1024**2


def test_every_flag_is_a_command_line_option_of_scan():
    from typer.main import get_command

    options = {o for p in get_command(app).commands["scan"].params for o in p.opts}
    for s in config.Config.declared():
        if s.flag is not None:
            assert s.flag.name in options, s.key
