#!/usr/bin/env bash
# Make sure a Java 17+ runtime is on PATH for the Selenium Grid tests (the hub and relay
# nodes are `java -jar selenium-server-4.48.0.jar`). Where it is missing and we are root
# with apt-get (a fresh Debian 12 CI machine), Debian's default-jre-headless (OpenJDK 17)
# is installed. Otherwise: with CI=true a missing Java is an error; elsewhere a warning,
# and the Grid tests skip themselves.
set -uo pipefail
NEED=17

major() { java -version 2>&1 | awk -F'"' '/version/ {print $2; exit}' | cut -d. -f1; }
have_java() {
    command -v java >/dev/null 2>&1 || return 1
    local v; v="$(major)"
    [ -n "$v" ] && [ "$v" -ge "$NEED" ] 2>/dev/null
}

have_java && exit 0

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "ensure_java.sh: installing Debian's default-jre-headless (Java $NEED+ for the Grid tests)" >&2
    # slim images drop the man folders, and the JRE's post-install step links into them
    mkdir -p /usr/share/man/man1
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq default-jre-headless >/dev/null 2>&1 || {
        apt-get update -qq >/dev/null 2>&1 &&
        apt-get install -y -qq default-jre-headless >/dev/null 2>&1; }
    hash -r
    have_java && exit 0
fi

msg="no Java $NEED+ runtime found (install Debian's default-jre-headless, or run make test as root)"
if [ "${CI:-}" = "true" ]; then
    echo "ensure_java.sh: $msg; the Selenium Grid tests cannot run" >&2
    exit 1
fi
echo "ensure_java.sh: warning: $msg; the Selenium Grid tests are skipped" >&2
exit 0
