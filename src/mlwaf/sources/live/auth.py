"""Who the scan calls Azure as: the DefaultAzureCredential chain, or a token a pipeline holds.

A token never leaves the Authorization header: credentials here have no repr that shows it, and
`scrub` removes it from any text (an error message) that could reach a log or a report.
"""

from __future__ import annotations

import base64
import json
import os
import time
from typing import Any

from azure.core.credentials import AccessToken, AccessTokenInfo, TokenRequestOptions
from azure.core.exceptions import ClientAuthenticationError

from mlwaf.sources.live.options import LiveOptions

TOKEN_ENV = "MLWAF_ACCESS_TOKEN"

HOW_TO_SIGN_IN = (
    "sign in with `az login` (add `--tenant ID` for another tenant), or set AZURE_TENANT_ID, "
    "AZURE_CLIENT_ID and AZURE_CLIENT_SECRET for a service principal, or put an ARM access token in "
    f"{TOKEN_ENV} (`az account get-access-token --query accessToken -o tsv`)"
)


class AuthError(Exception):
    """No usable identity, or ARM refused it: the scan cannot start (exit 2)."""


_SECRETS: set[str] = set()


def scrub(text: str) -> str:
    """Text with every token this process was handed replaced, for messages and logs."""
    for secret in _SECRETS:
        if secret and secret in text:
            text = text.replace(secret, "***")
    return text


def _jwt_expiry(token: str) -> int | None:
    """The `exp` claim of a JWT, read without verifying it (ARM verifies; we only plan)."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, UnicodeDecodeError):
        return None
    exp = payload.get("exp") if isinstance(payload, dict) else None
    return int(exp) if isinstance(exp, int | float) else None


class StaticTokenCredential:
    """An ARM access token used as is (a pipeline that already signed in hands it over)."""

    def __init__(self, token: str) -> None:
        self._token = token.strip()
        _SECRETS.add(self._token)
        self.expires_on = _jwt_expiry(self._token)

    def __repr__(self) -> str:
        return "StaticTokenCredential(***)"

    def _expiry(self) -> int:
        # An opaque token: claim an hour, ARM says when it is no longer good.
        return self.expires_on if self.expires_on is not None else int(time.time()) + 3600

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(self._token, self._expiry())

    def get_token_info(self, *scopes: str, options: TokenRequestOptions | None = None) -> AccessTokenInfo:
        return AccessTokenInfo(self._token, self._expiry())

    def close(self) -> None:
        return None


class TenantCredential:
    """Asks the wrapped credential for tokens of one tenant (`--tenant`)."""

    def __init__(self, inner: Any, tenant: str) -> None:
        self._inner = inner
        self._tenant = tenant

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        kwargs["tenant_id"] = self._tenant
        return self._inner.get_token(*scopes, **kwargs)

    def get_token_info(self, *scopes: str, options: TokenRequestOptions | None = None) -> AccessTokenInfo:
        opts: dict[str, Any] = dict(options or {})
        opts["tenant_id"] = self._tenant
        return self._inner.get_token_info(*scopes, options=opts)  # type: ignore[arg-type]

    def close(self) -> None:
        self._inner.close()


def build_credential(options: LiveOptions) -> Any:
    """MLWAF_ACCESS_TOKEN when set, else DefaultAzureCredential for the cloud's authority."""
    token = os.environ.get(TOKEN_ENV, "").strip()
    if token:
        cred = StaticTokenCredential(token)
        if cred.expires_on is not None and cred.expires_on <= time.time():
            raise AuthError(
                f"the access token in {TOKEN_ENV} expired at "
                f"{time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime(cred.expires_on))}; "
                f"get a new one (`az account get-access-token --query accessToken -o tsv`) or unset "
                f"{TOKEN_ENV} to use your Azure sign-in"
            )
        return cred
    from azure.identity import DefaultAzureCredential

    kwargs: dict[str, Any] = {"authority": options.authority}
    if options.tenant:
        kwargs["additionally_allowed_tenants"] = [options.tenant]
        kwargs["interactive_browser_tenant_id"] = options.tenant
        return TenantCredential(DefaultAzureCredential(**kwargs), options.tenant)
    return DefaultAzureCredential(**kwargs)


def check_credential(credential: Any, options: LiveOptions) -> None:
    """Get a token once before any call, so a missing sign-in is one clear message (exit 2)
    rather than a failure of every call."""
    try:
        credential.get_token(options.scope)
    except ClientAuthenticationError as err:
        first = scrub(str(err)).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise AuthError(f"no Azure identity could get a token ({first}); {HOW_TO_SIGN_IN}") from None


def rejected(status: int, code: str, message: str) -> AuthError:
    """ARM answered 401: say why in the user's terms and what to do."""
    using_token = bool(os.environ.get(TOKEN_ENV, "").strip())
    what = f"the access token in {TOKEN_ENV}" if using_token else "the token of your Azure sign-in"
    hint = (
        f"get a new token (`az account get-access-token --query accessToken -o tsv`) or unset {TOKEN_ENV}"
        if using_token
        else HOW_TO_SIGN_IN
    )
    reason = f"{code}: {message}" if code else message
    return AuthError(f"Azure Resource Manager refused {what} ({status} {scrub(reason)}); {hint}")
