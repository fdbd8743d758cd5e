"""For a plugin that signs agents in another way (e.g. inside a provider's own app) or
serves the console elsewhere: sign-ins, tokens, the console's bootstrap data, the
content security policy, and masking secrets in logs."""
from __future__ import annotations

from host.auth import agent_for_password, request_as, sign_in
from host.console import bootstrap
from host.credentials import issue_token, retire_token, revoke_token
from host.logging_filters import register_secret
from host.login_limit import counted
from host.models import ApiToken
from host.security_headers import content_security_policy

__all__ = ["agent_for_password", "sign_in", "counted", "request_as", "ApiToken", "issue_token", "retire_token",
           "revoke_token", "bootstrap", "content_security_policy", "register_secret"]
