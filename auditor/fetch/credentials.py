"""Where fetch finds the seller's SP-API credentials: environment variables first, then a
credentials file the seller keeps outside the reports folder. They are read, handed to the
client library and never printed, logged, stored in the database or written anywhere."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from auditor.fetch.errors import FetchError

# The environment variables, named as the client library and most SP-API tools name them.
ENVIRONMENT = {
    "client_id": "LWA_APP_ID",
    "client_secret": "LWA_CLIENT_SECRET",
    "refresh_token": "SP_API_REFRESH_TOKEN",
}
# Optional: another endpoint (Amazon's sandbox, a test server) and its token URL.
OPTIONAL = {"endpoint": "SP_API_ENDPOINT", "token_url": "LWA_TOKEN_URL"}
FILE_VARIABLE = "FBA_AUDIT_CREDENTIALS"
WHERE_TO_GET = {
    "client_id": "Seller Central > Apps and Services > Develop Apps, your app's LWA "
    "credentials (View)",
    "client_secret": "Seller Central > Apps and Services > Develop Apps, your app's LWA "
    "credentials (View)",
    "refresh_token": "Seller Central > Apps and Services > Develop Apps, Authorize on your app's "
    "row",
}


def default_file() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "fba-auditor" / "credentials.toml"


@dataclass(frozen=True)
class Credentials:
    client_id: str = field(repr=False)
    client_secret: str = field(repr=False)
    refresh_token: str = field(repr=False)
    endpoint: str | None = None
    token_url: str | None = None


def load_credentials(file: Path | None, reports_dir: Path) -> Credentials:
    """The credentials from the environment, completed from `file` (or $FBA_AUDIT_CREDENTIALS,
    or ~/.config/fba-auditor/credentials.toml when it exists). A file inside the reports folder
    is refused: that folder is shared with whoever audits it."""
    chosen = file or (Path(os.environ[FILE_VARIABLE]) if os.environ.get(FILE_VARIABLE) else None)
    path = chosen or default_file()
    values: dict[str, str] = {}
    if chosen is not None or path.exists():
        values = _read(path, reports_dir)
    for key, variable in {**ENVIRONMENT, **OPTIONAL}.items():
        if os.environ.get(variable):
            values[key] = os.environ[variable].strip()
    for key, variable in ENVIRONMENT.items():
        if not values.get(key):
            raise FetchError(
                f'no {key.replace("_", " ")}: set {variable} or put {key} = "…" in {path}; '
                f"it is in {WHERE_TO_GET[key]}"
            )
    return Credentials(**{k: values.get(k) for k in (*ENVIRONMENT, *OPTIONAL)})


def _read(path: Path, reports_dir: Path) -> dict[str, str]:
    resolved = path.expanduser().resolve()
    if resolved.is_relative_to(reports_dir.resolve()):
        raise FetchError(
            f"{path}: keep the credentials file outside the reports folder (e.g. at "
            f"{default_file()}): everything in that folder is read and may be shared"
        )
    try:
        data = tomllib.loads(resolved.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FetchError(f"{path}: no such credentials file") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise FetchError(
            f"{path}: not a credentials file ({str(error).splitlines()[0]}); write it as lines "
            'such as client_id = "amzn1.application-oa2-client…"'
        ) from None
    known = {*ENVIRONMENT, *OPTIONAL}
    unknown = sorted(set(data) - known)
    if unknown:
        raise FetchError(
            f"{path}: unknown key {unknown[0]!r}; the keys are {', '.join(sorted(known))}"
        )
    return {k: str(v).strip() for k, v in data.items()}
