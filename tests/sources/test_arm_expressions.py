"""The ARM expression language, one function group at a time, against Azure's documented results."""

from __future__ import annotations

import uuid

import pytest

from mlwaf.model import Unresolved
from mlwaf.sources import arm_expressions as ax
from mlwaf.sources.arm_expressions import Context, ExpressionError, ParseError, Unknown, evaluate

CTX = Context()
RG_ID = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/mlwaf-template-rg"


def ev(text: str, ctx: Context = CTX):
    return evaluate(text, ctx)


class Params(Context):
    """A template with a few parameters: `missing` has no value, as a required parameter."""

    values = {"name": "ws1", "count": 3, "tags": {"env": "prod"}, "flag": True}

    def parameter(self, name: str):
        if name.lower() == "missing":
            return Unknown("[parameters('missing')]", "no value")
        if name in self.values:
            return self.values[name]
        return super().parameter(name)


P = Params()


# --- parsing ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("concat('a'", "found the end of the expression"),
        ("concat('a)", "unterminated string"),
        ("", "empty expression"),
        ("parameters", "is not a function call"),
        ("concat('a') concat('b')", "unexpected"),
        ("concat('a',)", "unexpected"),
        ("concat('a').", "property name"),
        ("a # b", "unexpected character"),
    ],
)
def test_parse_errors_say_what_and_where(text: str, fragment: str) -> None:
    with pytest.raises(ParseError, match=fragment):
        ev(text)


def test_literals_escapes_and_access() -> None:
    assert ev("'it''s'") == "it's"
    assert ev("-5") == -5
    assert ev("createObject('A', createArray(1, 2)).a[1]") == 2
    assert ev("json('{\"x\": {\"y\": [10, 20]}}')['x'].y[0]") == 10
    assert ax.is_expression("[concat('a')]") and not ax.is_expression("[[literal]")
    assert ax.literal_text("[[literal]") == "[literal]"
    assert ax.evaluate_string("[[not an expression]", CTX) == "[not an expression]"


def test_unknown_function_and_bad_arguments_raise() -> None:
    with pytest.raises(ExpressionError, match="unknown function 'nosuch'"):
        ev("nosuch(1)")
    with pytest.raises(ExpressionError, match="argument"):
        ev("toLower()")
    with pytest.raises(ExpressionError, match="must be a string"):
        ev("toLower(1)")
    with pytest.raises(ExpressionError, match="does not exist"):
        ev("createObject('a', 1).b")
    with pytest.raises(ExpressionError, match="out of range"):
        ev("createArray(1)[3]")


# --- strings -----------------------------------------------------------------------------------


def test_string_functions() -> None:
    assert ev("concat('a', 'b', string(1), string(true()))") == "ab1True"
    assert ev("format('{0}-{1:D3}-{{x}}', 'ws', 7)") == "ws-007-{x}"
    assert ev("format('{0:N0}', 8175133)") == "8,175,133"
    assert ev("toLower('AbC')") == "abc" and ev("toUpper('abc')") == "ABC"
    assert ev("trim('  a b  ')") == "a b"
    assert ev("replace('This is a test', 'i', 'b')") == "Thbs bs a test"
    assert ev("split('a,b;c', createArray(',', ';'))") == ["a", "b", "c"]
    assert ev("substring('This is a test', 10)") == "test"
    assert ev("padLeft('123', 10, '0')") == "0000000123"
    # startsWith, endsWith and indexOf ignore case; contains does not.
    assert ev("startsWith('abcdef', 'AB')") and ev("endsWith('abcdef', 'F')")
    assert ev("indexOf('abcdef', 'CD')") == 2 and ev("lastIndexOf('test', 't')") == 3
    assert ev("contains('OneTwo', 'Two')") and not ev("contains('OneTwo', 'two')")
    assert ev("base64('one, two, three')") == "b25lLCB0d28sIHRocmVl"
    assert ev("base64ToString('b25lLCB0d28sIHRocmVl')") == "one, two, three"
    assert ev("dataUri('Hello')") == "data:text/plain;charset=utf8;base64,SGVsbG8="
    assert ev("dataUriToString('data:text/plain;charset=utf8;base64,SGVsbG8=')") == "Hello"
    assert ev("uri('http://contoso.org/firstpath/', 'myscript.sh')") == "http://contoso.org/firstpath/myscript.sh"
    assert ev("uriComponent('a b/c')") == "a%20b%2Fc" and ev("uriComponentToString('a%20b')") == "a b"
    assert ev("string(createObject('valueA', 10, 'valueB', 'Example Text'))") == '{"valueA":10,"valueB":"Example Text"}'
    assert ev("first('one')") == "o" and ev("last(createArray('a', 'b'))") == "b"
    assert ev("join(createArray('a', 'b', 1), '-')") == "a-b-1"
    with pytest.raises(ExpressionError, match="out of range"):
        ev("substring('abc', 2, 5)")


# Published uniqueString results (Azure's own output), cited where each was published:
#  - "hello","world" -> a7wkljktk6wne, hash 571013382255652050: README of
#    github.com/JasonWhall/go-azure-uniquestring (reverse engineered, checked against Azure).
#  - "tyeth" -> zcztcwvu6iyg6: stackoverflow.com/questions/43295720 (answer calling
#    Azure.Deployments.Expression's uniqueString).
#  - a VM id -> yvjxno3je5on2: microsoft/commercial-marketplace-offer-deploy,
#    test/Tests.UnitTests ArmFunctionsTests.UniqueStringShouldEqualValueCreatedFromArmTemplate
#    ("valueFromArmTemplate", the output of a real deployment).
@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("hello", "world"), "a7wkljktk6wne"),
        (("tyeth",), "zcztcwvu6iyg6"),
        (
            (
                "/subscriptions/31e9f9a0-9fd2-4294-a0a3-0101246d9700/resourceGroups/"
                "rg-modm201-20230913120256/providers/Microsoft.Compute/virtualMachines/bobjacmodm201",
            ),
            "yvjxno3je5on2",
        ),
    ],
)
def test_unique_string_matches_published_azure_outputs(args: tuple[str, ...], expected: str) -> None:
    assert ax.unique_string(*args) == expected
    quoted = ", ".join(f"'{a}'" for a in args)
    assert ev(f"uniqueString({quoted})") == expected


def test_unique_string_hash_and_shape() -> None:
    assert ax.murmur64(b"hello-world") == 571013382255652050
    value = ev("uniqueString(resourceGroup().id)")
    assert len(value) == 13 and set(value) <= set("abcdefghijklmnopqrstuvwxyz234567")
    assert value == ax.unique_string(RG_ID)
    assert ev("uniqueString('a', 'b')") == ev("uniqueString('a-b')")
    with pytest.raises(ExpressionError, match="takes strings"):
        ev("uniqueString('a', 1)")


def test_guid_is_the_arm_name_based_uuid() -> None:
    # Microsoft's guid() docs: RFC 4122 section 4.3 (name-based, SHA-1) over the arguments joined
    # with '-', in ARM's namespace 11fb06fb-712d-4ddd-98c7-e71bbd588830 (the namespace the
    # Terraform AVM modules use to reproduce Bicep's guid()). Cross-checked against the Python
    # standard library's independent uuid5.
    value = ev("guid('a', 'b')")
    assert value == str(uuid.uuid5(uuid.UUID("11fb06fb-712d-4ddd-98c7-e71bbd588830"), "a-b"))
    assert value == "2d796349-8c7e-55ec-9624-54ece82ed031"
    assert uuid.UUID(value).version == 5
    assert ev("guid(resourceGroup().id, 'x')") == ax.arm_guid(RG_ID, "x")


# --- arrays and objects ------------------------------------------------------------------


def test_array_and_object_functions() -> None:
    assert ev("createArray(1, 'a', createObject())") == [1, "a", {}]
    assert ev("array('x')") == ["x"] and ev("array(createArray(1))") == [1]
    assert ev("concat(createArray(1), createArray(2, 3))") == [1, 2, 3]
    assert ev("union(createArray(1, 2), createArray(2, 3))") == [1, 2, 3]
    assert ev("union(createObject('a', createObject('x', 1)), createObject('a', createObject('y', 2), 'b', 3))") == {
        "a": {"x": 1, "y": 2},
        "b": 3,
    }
    two = "createObject('a', createObject('x', 1)), createObject('a', createObject('y', 2))"
    assert ev(f"shallowMerge(createArray({two}))") == {"a": {"y": 2}}
    assert ev("intersection(createArray('one', 'two', 'three'), createArray('two', 'three'))") == ["two", "three"]
    assert ev("contains(createArray(1, 2), 2)") and ev("contains(createObject('Key', 1), 'key')")
    assert ev("length(createObject('a', 1, 'b', 2))") == 2 and ev("length('abc')") == 3
    assert ev("empty(null())") and ev("empty(createArray())") and not ev("empty(' ')")
    assert ev("range(3, 4)") == [3, 4, 5, 6]
    assert ev("skip(createArray(1, 2, 3), 1)") == [2, 3] and ev("take('abc', 2)") == "ab"
    assert ev("items(createObject('b', 1, 'a', 2))") == [{"key": "a", "value": 2}, {"key": "b", "value": 1}]
    assert ev("objectKeys(createObject('a', 1, 'b', 2))") == ["a", "b"]
    assert ev("flatten(createArray(createArray(1), createArray(2, 3)))") == [1, 2, 3]
    assert ev("tryGet(createObject('a', createObject('b', 1)), 'a', 'b')") == 1
    assert ev("tryGet(createObject('a', 1), 'zzz')") is None
    assert ev("json('null')") is None and ev("json('[1]')") == [1]
    assert ev("coalesce(null(), null(), 'x', 'y')") == "x" and ev("coalesce(null())") is None
    with pytest.raises(ExpressionError, match="even number"):
        ev("createObject('a')")


# --- comparison and logical ------------------------------------------------------------------


def test_comparison_and_logical() -> None:
    assert ev("equals(createObject('a', createArray(1)), createObject('A', createArray(1)))")
    assert not ev("equals('a', 'A')") and not ev("equals(1, '1')")
    assert ev("less(1, 2)") and ev("greaterOrEquals('b', 'a')") and not ev("lessOrEquals(3, 2)")
    assert ev("and(true(), not(false()))") and ev("or(false(), true())") and ev("bool('TRUE')")
    # Short-circuits and lazy branches: the unused argument would fail.
    assert ev("or(true(), div(1, 0))") is True
    assert ev("and(false(), div(1, 0))") is False
    assert ev("if(equals(1, 1), 'yes', div(1, 0))") == "yes"
    with pytest.raises(ExpressionError, match="booleans"):
        ev("and('a', true())")
    with pytest.raises(ExpressionError, match="two integers or two strings"):
        ev("less(1, 'a')")


# --- numbers and dates ---------------------------------------------------------------------


def test_numeric_functions() -> None:
    assert ev("add(1, 2)") == 3 and ev("sub(1, 2)") == -1 and ev("mul(3, 4)") == 12
    assert ev("div(-7, 2)") == -3 and ev("mod(-7, 2)") == -1  # .NET truncates toward zero
    assert ev("int('42')") == 42 and ev("float('1.5')") == 1.5
    assert ev("max(createArray(6, 4, 8), 1)") == 8 and ev("min(6, 4, 8)") == 4
    with pytest.raises(ExpressionError, match="divides by zero"):
        ev("div(1, 0)")
    with pytest.raises(ExpressionError, match="cannot convert"):
        ev("int('x')")


def test_date_functions_and_utcnow_rule() -> None:
    assert ev("dateTimeAdd('2020-01-31T00:00:00Z', 'P1M')") == "2020-02-29T00:00:00Z"
    assert ev("dateTimeAdd('2020-04-01T12:00:00Z', '-PT3H')") == "2020-04-01T09:00:00Z"
    assert ev("dateTimeFromEpoch(1683040573)") == "2023-05-02T15:16:13Z"
    assert ev("dateTimeToEpoch('2023-05-02T15:16:13Z')") == 1683040573
    with pytest.raises(ExpressionError, match="only be used in a parameter's defaultValue"):
        ev("utcNow()")

    class Default(Context):
        in_parameter_default = True

    now = ev("utcNow('u')", Default())
    assert isinstance(now, Unknown) and "utcNow" in now.expression
    assert isinstance(ev("dateTimeAdd(utcNow(), 'P1D')", Default()), Unknown)


# --- deployment and resource functions ---------------------------------------------------------


def test_resource_id_functions() -> None:
    assert ev("resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet', 'sn')") == (
        f"{RG_ID}/providers/Microsoft.Network/virtualNetworks/vnet/subnets/sn"
    )
    assert ev("resourceId('other-rg', 'Microsoft.Storage/storageAccounts', 'st')") == (
        "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/other-rg"
        "/providers/Microsoft.Storage/storageAccounts/st"
    )
    assert ev("resourceId('sub1', 'rg1', 'Microsoft.Storage/storageAccounts', 'st')") == (
        "/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.Storage/storageAccounts/st"
    )
    assert ev("subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'abc')") == (
        "/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.Authorization/roleDefinitions/abc"
    )
    assert ev("tenantResourceId('Microsoft.Management/managementGroups', 'mg')") == (
        "/providers/Microsoft.Management/managementGroups/mg"
    )
    kv = "resourceId('Microsoft.KeyVault/vaults', 'kv')"
    assert ev(f"extensionResourceId({kv}, 'Microsoft.Authorization/locks', 'l')") == (
        f"{RG_ID}/providers/Microsoft.KeyVault/vaults/kv/providers/Microsoft.Authorization/locks/l"
    )
    with pytest.raises(ExpressionError, match="needs 2 name segment"):
        ev("resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet')")


def test_deployment_functions() -> None:
    assert ev("resourceGroup().id") == RG_ID and ev("resourceGroup().location") == "westeurope"
    assert ev("subscription().subscriptionId") == "00000000-0000-0000-0000-000000000000"
    assert ev("environment().suffixes.storage") == "core.windows.net"
    assert ev("environment().authentication.loginEndpoint") == "https://login.microsoftonline.com/"
    assert ev("deployment().name") == "mlwaf-deployment"
    with pytest.raises(ExpressionError, match="outside a copy loop"):
        ev("copyIndex()")
    with pytest.raises(ExpressionError, match="no parameter 'x'"):
        ev("parameters('x')")


# --- lambdas ---------------------------------------------------------------------------------

DOGS = (
    "createArray(createObject('name', 'Evie', 'age', 5), createObject('name', 'Casper', 'age', 3), "
    "createObject('name', 'Indy', 'age', 2))"
)


def test_lambda_functions() -> None:
    age = "lambdaVariables('d').age"
    assert ev(f"map({DOGS}, lambda('d', lambdaVariables('d').name))") == ["Evie", "Casper", "Indy"]
    assert [d["name"] for d in ev(f"filter({DOGS}, lambda('d', greater({age}, 2)))")] == ["Evie", "Casper"]
    add = "lambda('cur', 'next', add(lambdaVariables('cur'), lambdaVariables('next')))"
    assert ev(f"reduce(map({DOGS}, lambda('d', {age})), 0, {add})") == 10
    ages = "lambdaVariables('a').age, lambdaVariables('b').age"
    assert [d["name"] for d in ev(f"sort({DOGS}, lambda('a', 'b', less({ages})))")] == ["Indy", "Casper", "Evie"]
    assert ev(f"toObject({DOGS}, lambda('d', lambdaVariables('d').name), lambda('d', {age}))") == {
        "Evie": 5, "Casper": 3, "Indy": 2,
    }
    assert ev("groupBy(createArray('foo', 'bar', 'baz'), lambda('x', substring(lambdaVariables('x'), 0, 1)))") == {
        "f": ["foo"], "b": ["bar", "baz"],
    }
    assert ev("mapValues(createObject('a', 1), lambda('v', mul(lambdaVariables('v'), 10)))") == {"a": 10}
    # The index argument of filter/map, where the lambda declares it.
    assert ev("map(createArray('a', 'b'), lambda('x', 'i', lambdaVariables('i')))") == [0, 1]
    with pytest.raises(ExpressionError, match="not a parameter of an enclosing lambda"):
        ev("lambdaVariables('x')")
    with pytest.raises(ExpressionError, match="needs a lambda"):
        ev("map(createArray(1), 1)")


# --- unknown values: reference(), list*() and missing parameters ------------------------------


def test_unknown_propagates_without_raising() -> None:
    ref = "reference(resourceId('Microsoft.Storage/storageAccounts', 'st'), '2023-01-01')"
    for text in (
        f"{ref}.primaryEndpoints.blob",
        f"concat('x', {ref}.a)",
        f"format('{{0}}', {ref})",
        f"toLower({ref}.kind)",
        f"equals({ref}.kind, 'StorageV2')",
        f"if(equals({ref}.kind, 'x'), 'a', 'b')",
        f"length({ref}.items)",
        f"union({ref}, createObject('a', 1))",
        f"map({ref}.list, lambda('x', lambdaVariables('x')))",
        f"uniqueString({ref}.id)",
        "listKeys(resourceId('Microsoft.Storage/storageAccounts', 'st'), '2023-01-01').keys[0].value",
        "parameters('missing')",
        "toUpper(parameters('missing'))",
        f"json({ref}.text)",
        f"createObject({ref}.key, 1)",
    ):
        value = ev(text, P)
        assert isinstance(value, Unresolved), text
        assert isinstance(value, Unknown)


def test_unknown_keeps_known_parts_known() -> None:
    value = ev("createObject('a', reference('x').b, 'c', 2)", P)
    assert value["c"] == 2 and isinstance(value["a"], Unknown)
    assert value["a"].expression == "[reference('x')]"
    assert ev("length(createArray(reference('x'), 1))", P) == 2
    assert ev("and(false(), reference('x').enabled)", P) is False
    assert ev("or(true(), reference('x').enabled)", P) is True
    assert isinstance(ev("and(true(), reference('x').enabled)", P), Unknown)
    assert ev("coalesce('a', reference('x'))", P) == "a"
    assert ev("if(true(), 'on', reference('x'))", P) == "on"
    # An unknown name keeps its expression inside ids, so the same name gives the same id.
    rid = ev("resourceId('Microsoft.MachineLearningServices/workspaces', parameters('missing'))", P)
    assert rid.endswith("/workspaces/[parameters('missing')]")
    assert ev("parameters('name')", P) == "ws1" and ev("parameters('tags').env", P) == "prod"
