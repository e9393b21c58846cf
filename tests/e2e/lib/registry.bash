# Sourced by end-to-end scripts after common.bash: the real registry (tools/registry), stopped
# when the script exits, before common.bash's trap removes $work.
#
# start_registry MODE [OPTION...]: starts a registry with auth MODE (none, basic or token) in
# $work/registry-MODE ($work/registry-MODE-2, ... for the next ones of the same mode), with the
# options of `tools/registry start` (--token-ttl S, --anonymous A, --redirector, ...), and sets
# registry_dir and the HOIST_TEST_* variables of its env file: HOIST_TEST_REGISTRY (host:port),
# HOIST_TEST_CREDS (user:password), HOIST_TEST_TOKEN_REALM, HOIST_TEST_REDIRECTOR, ... (see
# tools/registry). Skips the test (exit 77) when docker-registry is not installed.
# stop_registry [DIR]: stops one now (default: the last one started).
# registry_token SCOPE...: a token for SCOPEs (repository:NAME:ACTIONS) from the last token
# server started, with its user's credentials.

registry_tool=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)/tools/registry
registry_dirs=()

stop_registries() {
    local dir
    for dir in "${registry_dirs[@]}"; do
        "$registry_tool" stop --dir "$dir" || true
    done
}

# Run stop_registries first, then whatever EXIT trap was there (common.bash's removal of $work).
eval "registry_previous_trap=($(trap -p EXIT))"
# shellcheck disable=SC2064 # the previous trap's text is taken now, on purpose
trap "stop_registries; ${registry_previous_trap[2]:-}" EXIT
unset registry_previous_trap

start_registry() {
    local mode=$1 dir n=2
    shift
    if ! command -v docker-registry >/dev/null; then
        echo "SKIP: docker-registry is not installed (tools/setup installs it)" >&2
        exit 77
    fi
    dir=$work/registry-$mode
    while [[ -e $dir ]]; do
        dir=$work/registry-$mode-$((n++))
    done
    registry_dirs+=("$dir")
    "$registry_tool" start --dir "$dir" --auth "$mode" --watch $$ "$@" >/dev/null
    # shellcheck source=/dev/null
    source "$dir/env"
    registry_dir=$dir
}

stop_registry() {
    "$registry_tool" stop --dir "${1:-$registry_dir}"
}

registry_token() {
    local query="service=$HOIST_TEST_TOKEN_SERVICE" scope
    for scope in "$@"; do
        query+="&scope=$scope"
    done
    curl -sf -u "$HOIST_TEST_CREDS" "$HOIST_TEST_TOKEN_REALM?$query" | jq -r .token
}

# hoist_requests FROM: "METHOD PATH STATUS" of hoist's requests in the registry's access log
# after its first FROM lines.
hoist_requests() {
    tail -n +$(($1 + 1)) "$HOIST_TEST_REGISTRY_LOG" |
        sed -nE 's/^[0-9.]+ - [^"]*"([A-Z]+) ([^ ]+) HTTP[^"]*" ([0-9]+) .*"hoist\/[^"]*"$/\1 \2 \3/p'
}

# make_two_layer_image DIR TAG: make_umoci_image's image with a second layer on top, so that
# several layers go up and come back in order.
make_two_layer_image() {
    make_umoci_image "$1" "$2"
    umoci unpack --rootless --image "$1:$2" "$work/bundle" >/dev/null
    echo "second layer" >"$work/bundle/rootfs/etc/second"
    umoci repack --image "$1:$2" "$work/bundle" >/dev/null
    rm -rf "$work/bundle"
}
