"""The model's own behaviour: evidence written as one line of text (CSV and JUnit share it)."""

from __future__ import annotations

from mlwaf.model import Evidence, Unresolved


def test_evidence_text_writes_values_as_json_and_says_what_was_absent_or_unresolved():
    assert Evidence("properties.enableSoftDelete", True).text() == "properties.enableSoftDelete = true"
    assert Evidence("properties.sku", "Standard").text() == 'properties.sku = "Standard"'
    assert Evidence("tags", {"b": 1, "a": None}).text() == 'tags = {"a": null, "b": 1}'
    assert Evidence("properties.x", present=False).text() == "properties.x absent"
    absent = Evidence("properties.enablePurgeProtection", present=False, default=False, default_applied=True)
    assert absent.text() == "properties.enablePurgeProtection absent, default false"
    unresolved = Evidence("properties.y", Unresolved("[parameters('y')]"), expression="[parameters('y')]")
    assert unresolved.text() == "properties.y = [parameters('y')] (unresolved)"


def test_evidence_text_never_shows_a_secret():
    assert Evidence("properties.adminPassword", "hunter2").text() == 'properties.adminPassword = "***redacted***"'
