"""Every public template of the shared corpus evaluates with no error, and what it deploys is
exactly what a reader of the template expects (the lists below were written by hand from the
templates and their parameter files, with the scanner's placeholder subscription and group)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlwaf.sources import ReadOptions, read_paths
from mlwaf.sources.arm_expressions import unique_string as u
from mlwaf.sources.arm_template import evaluate_template
from mlwaf.sources.document import Document
from tests.conftest import CORPUS

QS = "quickstarts/quickstarts/microsoft.machinelearningservices"
AVM = "avm/avm/res/machine-learning-services"
RG_ID = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/mlwaf-template-rg"
WS = "Microsoft.MachineLearningServices/workspaces"
SA, KV, AI, CR = (
    "Microsoft.Storage/storageAccounts", "Microsoft.KeyVault/vaults", "Microsoft.Insights/components",
    "Microsoft.ContainerRegistry/registries",
)


def _templates() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    files = sorted((CORPUS / "quickstarts").rglob("*.json")) + sorted((CORPUS / "avm").rglob("*.json"))
    return [f for f in files if ".parameters" not in f.name]


def _parameter_variants() -> list[tuple[Path, Path]]:
    """Templates with more than one parameter file (e.g. `azuredeploy.parameters.us.json`)."""
    out = []
    for t in _templates():
        for p in sorted(t.parent.glob(f"{t.stem}.parameters*.json")):
            out.append((t, p))
    return out


def _read(path: Path, **options):
    return read_paths([path], ReadOptions(root=CORPUS, **options))


def _split(errors):
    not_assessed = [e for e in errors if e.message.startswith("not assessed:")]
    return [e for e in errors if e not in not_assessed], not_assessed


@pytest.mark.parametrize("path", _templates(), ids=lambda p: str(p.relative_to(CORPUS)))
def test_every_corpus_template_evaluates_without_errors(corpus: Path, path: Path) -> None:
    got = _read(path)
    errors, not_assessed = _split(got.errors)
    assert errors == []
    # The only parts left out are linked templates on the internet (the quickstart prereqs link
    # the shared workspace module on GitHub), each reported with its address.
    for e in not_assessed:
        assert "is remote" in e.message and "https://" in e.message
    assert got.resources, "every corpus template deploys something"
    for r in got.resources:
        assert r.origin.path and r.origin.pointer.startswith("/resources/")
        assert r.position()[0] is not None


@pytest.mark.parametrize(
    ("path", "params"), _parameter_variants(), ids=lambda v: str(v.relative_to(CORPUS)) if isinstance(v, Path) else v
)
def test_every_parameter_file_applies_without_errors(corpus: Path, path: Path, params: Path) -> None:
    got = _read(path, parameter_files=[params])
    assert _split(got.errors)[0] == []
    assert {r.origin.parameters_file for r in got.resources} == {str(params.relative_to(CORPUS))}


def _deployed(corpus: Path, rel: str, **options) -> list[tuple[str, str]]:
    got = _read(corpus / rel, **options)
    assert _split(got.errors)[0] == []
    return [(r.type, r.raw["name"]) for r in got.resources]


# uniqueString(resourceGroup().id) of the placeholder resource group, as the templates use it.
RG = u(RG_ID)


def test_deployed_machine_learning_workspace(corpus: Path) -> None:
    # Parameter file: name GEN-UNIQUE-8, environment GEN-UNIQUE-3; names are format('st{0}{1}', ...).
    n = "GEN-UNIQUE-8"
    e = "GEN-UNIQUE-3"
    assert _deployed(corpus, f"{QS}/machine-learning-workspace/azuredeploy.json") == [
        (SA, f"st{n}{e}"), (KV, f"kv-{n}-{e}"), (AI, f"appi-{n}-{e}"), (CR, f"cr{n}{e}"), (WS, f"mlw{n}{e}"),
    ]


def test_deployed_workspace_cmk_service_side_encryption(corpus: Path) -> None:
    n, e = "GEN-UNIQUE-8", "GEN-UNIQUE-3"
    assert _deployed(corpus, f"{QS}/machine-learning-workspace-cmk-service-side-encryption/azuredeploy.json") == [
        (SA, f"st{n}{e}"), (KV, f"kv-{n}-{e}"), (AI, f"appi-{n}-{e}"), (CR, f"cr{n}{e}"), (WS, f"mlw{n}{e}"),
    ]


def test_deployed_machine_learning_create(corpus: Path) -> None:
    # Dependencies default to concat('sa', uniqueString(resourceGroup().id)) and are created
    # because *NewOrExisting defaults to 'new'.
    assert _deployed(corpus, f"{QS}/machine-learning-create/azuredeploy.json") == [
        (SA, f"sa{RG}"), (KV, f"kv{RG}"), (AI, f"ai{RG}"), (WS, "GEN-UNIQUE"),
    ]


def test_deployed_amlcompute_and_its_prereq(corpus: Path) -> None:
    assert _deployed(corpus, f"{QS}/machine-learning-compute-create-amlcompute/azuredeploy.json") == [
        (f"{WS}/computes", "GET-PREREQ-workspaceResource/GEN-UNIQUE-8"),
    ]
    assert _deployed(corpus, f"{QS}/machine-learning-compute-create-amlcompute/prereqs/prereq.azuredeploy.json") == [
        (SA, f"sa{RG}"), (KV, f"kv{RG}"), (AI, f"ai{RG}"), (WS, "GEN-UNIQUE"),
    ]


def test_deployed_aifoundry_basics_through_two_nested_deployments(corpus: Path) -> None:
    # name = toLower('GEN-UNIQUE-8'), suffix = substring(uniqueString(resourceGroup().id), 0, 4);
    # registry and storage names have their dashes removed in the dependencies module.
    sfx = RG[:4]
    assert _deployed(corpus, f"{QS}/aifoundry-basics/azuredeploy.json") == [
        (AI, f"appi-gen-unique-8-{sfx}"),
        (CR, f"crgenunique8{sfx}"),
        (KV, f"kv-gen-unique-8-{sfx}"),
        ("Microsoft.CognitiveServices/accounts", f"aisgen-unique-8{sfx}"),
        (SA, f"stgenunique8{sfx}"),
        (f"{WS}/connections", f"aih-gen-unique-8-{sfx}/aih-gen-unique-8-{sfx}-connection-AzureOpenAI"),
        (WS, f"aih-gen-unique-8-{sfx}"),
    ]


def test_deployed_multiple_datasets_with_copy_loops(corpus: Path) -> None:
    rel = f"{QS}/machine-learning-dataset-create-workspace-multiple-dataset-datastore/azuredeploy.json"
    assert _deployed(corpus, rel) == [
        (SA, f"sa{RG}"),
        (f"{SA}/blobServices/containers", f"sa{RG}/default/container{RG}"),
        (KV, f"kv{RG}"),
        (AI, f"ai{RG}"),
        (WS, "GEN-UNIQUE"),
        (f"{WS}/datastores", "GEN-UNIQUE/datastore0"),
        (f"{WS}/datastores", "GEN-UNIQUE/datastore1"),
        (f"{WS}/datasets", "GEN-UNIQUE/dataset0"),
        (f"{WS}/datasets", "GEN-UNIQUE/dataset1"),
    ]


def test_deployed_workspace_vnet_with_private_endpoint_deployment(corpus: Path) -> None:
    # privateEndpointType AutoApproval (parameter file) turns on the VNet, subnet, the private
    # endpoint and both DNS zones; names are format('vn{0}', uniqueString(rg id, workspaceName)).
    ws = "GEN-UNIQUE-10"
    h = u(RG_ID, ws)
    link = u(f"{RG_ID}/providers/Microsoft.Network/virtualNetworks/vn{h}")
    assert _deployed(corpus, f"{QS}/machine-learning-workspace-vnet/azuredeploy.json") == [
        ("Microsoft.Network/virtualNetworks", f"vn{h}"),
        ("Microsoft.Network/virtualNetworks/subnets", f"vn{h}/sn{h}"),
        (SA, f"sa{h}"), (KV, f"kv{h}"), (CR, f"cr{h}"), (AI, f"ai{h}"), (WS, ws),
        ("Microsoft.Network/privateEndpoints", f"{ws}-PrivateEndpoint"),
        ("Microsoft.Network/privateDnsZones", "privatelink.api.azureml.ms"),
        ("Microsoft.Network/privateDnsZones", "privatelink.notebooks.azure.net"),
        ("Microsoft.Network/privateDnsZones/virtualNetworkLinks", f"privatelink.api.azureml.ms/{link}"),
        ("Microsoft.Network/privateDnsZones/virtualNetworkLinks", f"privatelink.notebooks.azure.net/{link}"),
        ("Microsoft.Network/privateEndpoints/privateDnsZoneGroups", f"{ws}-PrivateEndpoint/default"),
    ]
    # Without the parameter file privateEndpointType defaults to 'none': no network at all.
    plain = _deployed(
        corpus, f"{QS}/machine-learning-workspace-vnet/azuredeploy.json",
        param_overrides={"privateEndpointType": "none"},
    )
    assert plain == [(SA, f"sa{h}"), (KV, f"kv{h}"), (CR, f"cr{h}"), (AI, f"ai{h}"), (WS, ws)]


def test_deployed_avm_workspace_defaults_and_with_parameters(corpus: Path) -> None:
    # `name` is required and given no value: the workspace is deployed under its expression; the
    # telemetry deployment is empty; every optional module loop runs zero times.
    assert _deployed(corpus, f"{AVM}/workspace/main.json") == [(WS, "[parameters('name')]")]
    got = _deployed(
        corpus, f"{AVM}/workspace/main.json",
        param_overrides={
            "name": "ws1",
            "computes": '[{"name": "cpu", "computeType": "AmlCompute", "location": "westeurope"}]',
            "diagnosticSettings": '[{"workspaceResourceId": "/law"}]',
            "lock": '{"kind": "CanNotDelete"}',
        },
    )
    assert got == [
        (WS, "ws1"),
        ("Microsoft.Authorization/locks", "lock-ws1"),
        ("Microsoft.Insights/diagnosticSettings", "ws1-diagnosticSettings"),
        (f"{WS}/computes", "ws1/cpu"),
    ]


def test_deployed_avm_compute_skips_the_existing_workspace(corpus: Path) -> None:
    assert _deployed(
        corpus, f"{AVM}/workspace/compute/main.json",
        param_overrides={"machineLearningWorkspaceName": "ws1", "name": "cpu", "computeType": "AmlCompute"},
    ) == [(f"{WS}/computes", "ws1/cpu")]
    assert _deployed(
        corpus, f"{AVM}/workspace/compute/main.json",
        param_overrides={"machineLearningWorkspaceName": "ws1", "name": "cpu", "deployCompute": "false"},
    ) == []


def test_evaluate_template_takes_a_document_of_its_own(corpus: Path) -> None:
    """The entry point for a caller outside a scan: the largest template of the corpus (the AVM
    workspace module), evaluated with no error into the workspace it deploys. How long it takes
    is measured in bench/run.py (docs/performance.md), never here."""
    from mlwaf import jsontext

    path = corpus / f"{AVM}/workspace/main.json"
    text = path.read_text(encoding="utf-8")
    data = jsontext.loads(text)
    options = ReadOptions(root=CORPUS, param_overrides={"name": "ws1"})
    doc = Document(path=path, display="main.json", text=text, data=data, options=options)
    result = evaluate_template(data, doc)
    assert result.errors == []
    assert (WS, "ws1") in [(r.type, r.name) for r in result.resources]
