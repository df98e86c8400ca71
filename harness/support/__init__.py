"""The ground floor: errors a user can act on, secrets and their masking, YAML that
remembers lines, terminal output, whether a holding process is alive, and lazy
re-exports for packages.

Nothing here imports another package of the harness.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.support.lazy import lazy_exports

if TYPE_CHECKING:
    from harness.support.console import (
        WorkProgress,
        out_console,
    )
    from harness.support.errors import (
        BackendUnavailable,
        ConfigError,
        ConfigErrors,
        HarnessError,
        display_path,
    )
    from harness.support.lazy import (
        lazy_exports,
    )
    from harness.support.processes import (
        holder_gone,
        pid_alive,
    )
    from harness.support.secrets import (
        HashKeyError,
        MissingEnv,
        Secret,
        SecretScrubber,
        env_names,
        expand_env,
        has_env_ref,
        hash_key,
        install_log_scrubbing,
        is_secret_name,
        keyed_hash,
        mask_headers,
        mask_ip,
        mask_phone,
        mask_url,
        mask_urls,
        register_phone,
        register_secret,
        scrub,
        scrub_log_text,
        shown_db,
        url_secrets,
    )
    from harness.support.yamlfile import (
        LoadedYaml,
        PathKey,
        dotted,
        load_many,
        load_yaml,
        validation_errors,
    )

#: Each module and the public names it holds, imported on first use.
_HOMES: dict[str, tuple[str, ...]] = {
    "console": ("WorkProgress", "out_console"),
    "errors": ("BackendUnavailable", "ConfigError", "ConfigErrors", "HarnessError", "display_path"),
    "lazy": ("lazy_exports",),
    "processes": ("holder_gone", "pid_alive"),
    "secrets": (
        "HashKeyError",
        "MissingEnv",
        "Secret",
        "SecretScrubber",
        "env_names",
        "expand_env",
        "has_env_ref",
        "hash_key",
        "install_log_scrubbing",
        "is_secret_name",
        "keyed_hash",
        "mask_headers",
        "mask_ip",
        "mask_phone",
        "mask_url",
        "mask_urls",
        "register_phone",
        "register_secret",
        "scrub",
        "scrub_log_text",
        "shown_db",
        "url_secrets",
    ),
    "yamlfile": ("LoadedYaml", "PathKey", "dotted", "load_many", "load_yaml", "validation_errors"),
}
__getattr__, __dir__ = lazy_exports(__name__, _HOMES)

__all__ = [
    "BackendUnavailable",
    "ConfigError",
    "ConfigErrors",
    "HarnessError",
    "HashKeyError",
    "LoadedYaml",
    "MissingEnv",
    "PathKey",
    "Secret",
    "SecretScrubber",
    "WorkProgress",
    "display_path",
    "dotted",
    "env_names",
    "expand_env",
    "has_env_ref",
    "hash_key",
    "holder_gone",
    "install_log_scrubbing",
    "is_secret_name",
    "keyed_hash",
    "lazy_exports",
    "load_many",
    "load_yaml",
    "mask_headers",
    "mask_ip",
    "mask_phone",
    "mask_url",
    "mask_urls",
    "out_console",
    "pid_alive",
    "register_phone",
    "register_secret",
    "scrub",
    "scrub_log_text",
    "shown_db",
    "url_secrets",
    "validation_errors",
]
