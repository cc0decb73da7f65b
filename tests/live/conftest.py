"""The mock ARM server for live-scan tests: a fresh server per test, the environment pointed at it."""

from __future__ import annotations

import pytest

from tests.live.server import Corpus, MockArm, build_estate, iter_env


@pytest.fixture(scope="session")
def estate_factory(corpus):
    source = Corpus(corpus)

    def make(**kwargs):
        return build_estate(source, **kwargs)

    return make


@pytest.fixture
def estate(estate_factory):
    """Three subscriptions of three workspaces each (every workspace shape); the third is forbidden."""
    return estate_factory(subscriptions=3, workspaces=3, forbidden=(2,))


@pytest.fixture
def arm(estate, monkeypatch):
    with MockArm(estate) as mock:
        for key, value in iter_env(mock):
            monkeypatch.setenv(key, value)
        yield mock
