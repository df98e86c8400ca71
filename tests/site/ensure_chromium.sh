#!/usr/bin/env bash
# Make sure a headless Chromium is on PATH for the report-site tests (each page of the
# site is rendered and screenshotted at 1280 px wide). Where it is missing and we are root
# with apt-get (a fresh Debian 12 CI machine), Debian's `chromium` is installed.
# Otherwise: with CI=true a missing Chromium is an error; elsewhere a warning, and the
# site's rendering tests skip themselves.
set -uo pipefail

have_chromium() {
    command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1
}

have_chromium && exit 0

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "ensure_chromium.sh: installing Debian's chromium (for the report-site tests)" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1 || {
        apt-get update -qq >/dev/null 2>&1 &&
        apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1; }
    hash -r
    have_chromium && exit 0
fi

msg="no chromium found (install Debian's chromium, or run make test as root)"
if [ "${CI:-}" = "true" ]; then
    echo "ensure_chromium.sh: $msg; the report-site rendering tests cannot run" >&2
    exit 1
fi
echo "ensure_chromium.sh: warning: $msg; the report-site rendering tests are skipped" >&2
exit 0
