#!/usr/bin/env bash
# Installs the Debian packages Balmer builds and tests with, when any is missing.
# Sourced by ops/test and ops/demo; safe to run again.
balmer_install_deps() {
    local need=()
    local pkg
    for pkg in librdkafka-dev libcfitsio-dev libopenblas-dev libpq-dev pkg-config postgresql python3 tmux; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
    done
    if [ ${#need[@]} -gt 0 ]; then
        echo "balmer: installing Debian packages: ${need[*]}" >&2
        local sudo=""
        [ "$(id -u)" -eq 0 ] || sudo="sudo"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
    fi
}

# numpy and astropy for the independent cross-checks (ops/check_*.py) that the tests run.
balmer_install_python_deps() {
    if ! python3 -c "import numpy, astropy" 2>/dev/null; then
        echo "balmer: installing numpy and astropy from PyPI for the cross-check tests" >&2
        python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore numpy astropy >&2
    fi
}
