"""Configuration validated like the command line: parameter values against the type and range
declared beside the check, suppressions against the loaded checks; what goes wrong with
suppressions shown where people look (console, Markdown), not only in JSON and HTML."""

from __future__ import annotations

import json
import textwrap

import pytest
from typer.testing import CliRunner

from mlwaf import config, registry
from mlwaf.cli import app
from mlwaf.config import ConfigError
from mlwaf.params import Param, ParamError

runner = CliRunner()
WS = "Microsoft.MachineLearningServices/workspaces"


@pytest.fixture(scope="module")
def builtin():
    return registry.load().sorted()


def _config(tmp_path, text: str):
    path = tmp_path / "mlwaf.toml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return config.load(path)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ('[params."MLW-REL-001"]\nmin_instances = "three"\n',
         "[params.\"MLW-REL-001\"] 'min_instances' takes an integer >= 1, got 'three'"),
        ('[params."MLW-REL-001"]\nmin_instances = -5\n', "'min_instances' takes an integer >= 1, got -5"),
        ("[params]\nmin_instances = 2.5\n", "[params] 'min_instances' takes an integer >= 1, got 2.5"),
        ("[params]\nmin_instances = true\n", "got True"),
        ("[params]\nallowed_regions = 5\n", "'allowed_regions' takes an array of non-empty strings"),
        ("[params]\nrequired_tags = ['owner', '']\n", "'required_tags' takes an array of non-empty strings"),
        ("[params]\nworkspace_count_scope = 'tenant'\n",
         "'workspace_count_scope' takes one of 'subscription', 'project', got 'tenant'"),
        ("[params]\nmax_idle_before_scale_down = '30 minutes'\n",
         "'max_idle_before_scale_down' takes an ISO-8601 duration, e.g. PT30M, got '30 minutes'"),
        ("[params]\nenvironment_tag = ['env']\n", "'environment_tag' takes a string, got ['env']"),
    ],
)
def test_parameter_values_are_checked_against_their_declaration(tmp_path, builtin, text, needle):
    with pytest.raises(ConfigError) as err:
        _config(tmp_path, text).params_for(builtin)
    assert needle in str(err.value)
    assert "mlwaf.toml" in str(err.value)


def test_valid_values_reach_the_checks_normalized(tmp_path, builtin):
    params = _config(tmp_path, """
        [params]
        allowed_regions = "westeurope, northeurope"
        production_values = "prod"
        workspace_count_scope = "Project"
        max_idle_before_scale_down = "PT1H"
        [params."MLW-REL-001"]
        min_instances = 2
        """).params_for(builtin)
    assert params["MLW-REL-001"] == {"min_instances": 2}
    regions = next(v for v in params.values() if "allowed_regions" in v)
    assert regions["allowed_regions"] == ["westeurope", "northeurope"]
    # One string is one value, not its letters (the check iterated "prod" as p, r, o, d).
    assert {tuple(v["production_values"]) for v in params.values() if "production_values" in v} == {("prod",)}
    assert {v["workspace_count_scope"] for v in params.values() if "workspace_count_scope" in v} == {"project"}


def test_the_cli_refuses_a_bad_value_before_scanning(tmp_path):
    (tmp_path / "mlwaf.toml").write_text('[params."MLW-REL-001"]\nmin_instances = "three"\n')
    (tmp_path / "ws.json").write_text("{}")
    result = runner.invoke(app, ["scan", str(tmp_path / "ws.json"), "--config", str(tmp_path / "mlwaf.toml"),
                                 "-f", "json", "-o", str(tmp_path / "r.json")])
    assert result.exit_code == 2 and "'min_instances' takes an integer >= 1" in result.output
    assert not (tmp_path / "r.json").exists()


def test_declarations_are_validated_when_a_pack_loads(tmp_path):
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "bad.py").write_text(textwrap.dedent('''
        from mlwaf.check import Param, Pillar, Severity, check, passed
        @check(id="ACME-SEC-001", title="t", pillar=Pillar.SECURITY, severity=Severity.LOW,
               resource_types=["Microsoft.Storage/storageAccounts"], implements=["X"], remediation="r",
               params={"limit": Param("how many", "date")})
        def c(resource, ctx):
            return passed("ok")
        '''))
    with pytest.raises(registry.CheckLoadError, match="parameter 'limit' must be Param"):
        registry.load([pack])
    good = tmp_path / "good"
    good.mkdir()
    (good / "ok.py").write_text((pack / "bad.py").read_text().replace('Param("how many", "date")', '"how many"'))
    spec = registry.load([good]).get("ACME-SEC-001")
    assert spec.params["limit"].kind == "any"  # a description alone: any value, as before types
    assert spec.to_dict()["params"] == {"limit": "how many"}


def test_param_kinds():
    assert Param("n", "number", minimum=0, maximum=1).value(0.5) == 0.5
    with pytest.raises(ParamError):
        Param("n", "number", maximum=1).value(2)
    assert Param("b", "boolean").value(False) is False
    with pytest.raises(ParamError):
        Param("b", "boolean").value("yes")
    assert Param("a", "any").value({"x": 1}) == {"x": 1}


# --- suppressions ---------------------------------------------------------------------------
def test_a_suppression_naming_an_unknown_check_is_a_config_error_with_a_suggestion(tmp_path, builtin):
    cfg = _config(tmp_path, """
        [[suppressions]]
        check = "MLW-SEC-0001"
        resource = "*"
        reason = "typo"
        """)
    from mlwaf.scan import ScanOptions

    with pytest.raises(ConfigError) as err:
        cfg.apply(ScanOptions(), builtin)
    assert "[[suppressions]] #1: 'check' 'MLW-SEC-0001' names no loaded check; did you mean 'MLW-SEC-001'?" in str(
        err.value)
    glob = _config(tmp_path, '[[suppressions]]\ncheck = "MLW-NOPE-*"\nresource = "*"\nreason = "r"\n')
    with pytest.raises(ConfigError, match="'MLW-NOPE-\\*' names no loaded check"):
        glob.apply(ScanOptions(), builtin)
    ok = _config(tmp_path, '[[suppressions]]\ncheck = "mlw-sec-*"\nresource = "*"\nreason = "r"\n')
    assert ok.apply(ScanOptions(), builtin).suppressions


def test_invalid_unknown_and_expired_suppressions_show_on_the_console_and_in_markdown(tmp_path):
    rid = f"/subscriptions/s/resourceGroups/rg/providers/{WS}/mlw"
    (tmp_path / "ws.json").write_text(json.dumps({
        "id": rid, "name": "mlw", "type": WS,
        "tags": {"mlwaf-suppress": "no colon here", "mlwaf-suppress-2": "MLW-SEC-0001: typo in the id"},
        "properties": {"publicNetworkAccess": "Enabled"}}))
    (tmp_path / "mlwaf.toml").write_text(
        '[[suppressions]]\ncheck = "MLW-SEC-001"\nresource = "*"\nreason = "until Q3"\nexpires = 2020-06-30\n'
        '[[suppressions]]\ncheck = "MLW-COST-001"\nresource = "*"\nreason = "old"\nexpires = 2020-01-01\n')
    md = tmp_path / "r.md"
    result = runner.invoke(app, ["scan", str(tmp_path / "ws.json"), "--config", str(tmp_path / "mlwaf.toml"),
                                 "--checks", "MLW-SEC-001", "-f", "markdown", "-o", str(md)])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "1 finding(s) no longer suppressed: the suppression expired" in out
    assert "MLW-SEC-001 on mlw: expired 2020-06-30" in out
    assert "1 expired suppression(s) match no finding any more" in out and ": MLW-COST-001 (expired 2020-01-01)" in out
    assert "2 inline suppression(s) not understood, not applied:" in out
    assert "'MLW-SEC-0001' names no loaded check; did you mean 'MLW-SEC-001'?" in out
    text = md.read_text()
    assert "Expired suppressions (1 findings no longer suppressed)" in text
    assert "Expired suppressions that match no finding (1;" in text
    assert "Inline suppressions not understood (2; not applied)" in text and "names no loaded check" in text
