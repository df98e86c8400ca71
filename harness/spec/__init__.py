"""What users write: device profiles, scenarios and the flows they extend, step kinds,
selectors, template variables, the app catalog, run configuration, and profile scaffolds.

Everything here is read and checked before a run starts; a mistake is a ``ConfigError``
naming ``file:line``, the field and a fix. Secrets stay ``${ENV}`` references until a
run resolves them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.support.lazy import lazy_exports

if TYPE_CHECKING:
    from harness.spec.catalog import (
        Catalog,
        CatalogApp,
        default_catalog,
        load_catalog,
    )
    from harness.spec.compose import (
        ComposedYaml,
        compose,
    )
    from harness.spec.config import (
        DEFAULT_APPIUM_URL,
        DEFAULT_MIN_INTERVAL_HOURS,
        RunConfig,
        recent_attempt_message,
    )
    from harness.spec.flows import (
        FLOWS_DIR,
        OMIT,
        Flow,
        FlowParam,
        find_flow_files,
        is_flow_document,
        is_flow_path,
        kind_problem,
        load_flow,
        parse_flow,
        placeholder_name,
        resolve_flow_path,
    )
    from harness.spec.profile import (
        DeviceSlot,
        Gps,
        OtpConfig,
        PhoneNumber,
        Profile,
        resolve_proxy,
    )
    from harness.spec.profiles import (
        load_profile,
        load_profiles,
        select_profiles,
    )
    from harness.spec.scaffold import (
        CountryDefaults,
        country_defaults,
        new_profile_command,
        render_profile,
        scaffold_profile,
    )
    from harness.spec.scenarios import (
        DEFAULT_OTP_TIMEOUT,
        DEFAULT_TIMEOUT,
        App,
        FlowRef,
        Scenario,
        find_scenario_files,
        load_scenario,
        load_scenarios,
        parse_scenario,
    )
    from harness.spec.selectors import (
        BY_ACCESSIBILITY_ID,
        BY_ID,
        BY_XPATH,
        Selector,
        SelectorKind,
        xpath_literal,
    )
    from harness.spec.steps import (
        DEFAULT_OTP_PATTERN,
        Challenge,
        ChooseCallingCode,
        DeviceRouteCheck,
        EnterOtp,
        Feature,
        Input,
        Launch,
        PermissionDialog,
        RequestOtp,
        Step,
        Tap,
        Wait,
    )
    from harness.spec.templates import (
        SECRET_VARIABLES,
        VARIABLES,
        is_secret,
        render,
        unknown_variables,
        variables_in,
    )

#: Each module and the public names it holds, imported on first use.
_HOMES: dict[str, tuple[str, ...]] = {
    "catalog": ("Catalog", "CatalogApp", "default_catalog", "load_catalog"),
    "compose": ("ComposedYaml", "compose"),
    "config": (
        "DEFAULT_APPIUM_URL",
        "DEFAULT_MIN_INTERVAL_HOURS",
        "RunConfig",
        "recent_attempt_message",
    ),
    "flows": (
        "FLOWS_DIR",
        "OMIT",
        "Flow",
        "FlowParam",
        "find_flow_files",
        "is_flow_document",
        "is_flow_path",
        "kind_problem",
        "load_flow",
        "parse_flow",
        "placeholder_name",
        "resolve_flow_path",
    ),
    "profile": ("DeviceSlot", "Gps", "OtpConfig", "PhoneNumber", "Profile", "resolve_proxy"),
    "profiles": ("load_profile", "load_profiles", "select_profiles"),
    "scaffold": (
        "CountryDefaults",
        "country_defaults",
        "new_profile_command",
        "render_profile",
        "scaffold_profile",
    ),
    "scenarios": (
        "DEFAULT_OTP_TIMEOUT",
        "DEFAULT_TIMEOUT",
        "App",
        "FlowRef",
        "Scenario",
        "find_scenario_files",
        "load_scenario",
        "load_scenarios",
        "parse_scenario",
    ),
    "selectors": (
        "BY_ACCESSIBILITY_ID",
        "BY_ID",
        "BY_XPATH",
        "Selector",
        "SelectorKind",
        "xpath_literal",
    ),
    "steps": (
        "DEFAULT_OTP_PATTERN",
        "Challenge",
        "ChooseCallingCode",
        "DeviceRouteCheck",
        "EnterOtp",
        "Feature",
        "Input",
        "Launch",
        "PermissionDialog",
        "RequestOtp",
        "Step",
        "Tap",
        "Wait",
    ),
    "templates": (
        "SECRET_VARIABLES",
        "VARIABLES",
        "is_secret",
        "render",
        "unknown_variables",
        "variables_in",
    ),
}
__getattr__, __dir__ = lazy_exports(__name__, _HOMES)

__all__ = [
    "BY_ACCESSIBILITY_ID",
    "BY_ID",
    "BY_XPATH",
    "DEFAULT_APPIUM_URL",
    "DEFAULT_MIN_INTERVAL_HOURS",
    "DEFAULT_OTP_PATTERN",
    "DEFAULT_OTP_TIMEOUT",
    "DEFAULT_TIMEOUT",
    "FLOWS_DIR",
    "OMIT",
    "SECRET_VARIABLES",
    "VARIABLES",
    "App",
    "Catalog",
    "CatalogApp",
    "Challenge",
    "ChooseCallingCode",
    "ComposedYaml",
    "CountryDefaults",
    "DeviceRouteCheck",
    "DeviceSlot",
    "EnterOtp",
    "Feature",
    "Flow",
    "FlowParam",
    "FlowRef",
    "Gps",
    "Input",
    "Launch",
    "OtpConfig",
    "PermissionDialog",
    "PhoneNumber",
    "Profile",
    "RequestOtp",
    "RunConfig",
    "Scenario",
    "Selector",
    "SelectorKind",
    "Step",
    "Tap",
    "Wait",
    "compose",
    "country_defaults",
    "default_catalog",
    "find_flow_files",
    "find_scenario_files",
    "is_flow_document",
    "is_flow_path",
    "is_secret",
    "kind_problem",
    "load_catalog",
    "load_flow",
    "load_profile",
    "load_profiles",
    "load_scenario",
    "load_scenarios",
    "new_profile_command",
    "parse_flow",
    "parse_scenario",
    "placeholder_name",
    "recent_attempt_message",
    "render",
    "render_profile",
    "resolve_flow_path",
    "resolve_proxy",
    "scaffold_profile",
    "select_profiles",
    "unknown_variables",
    "variables_in",
    "xpath_literal",
]
