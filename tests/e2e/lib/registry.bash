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

# Nothing the test left in $work (hoist's captured output, logs, layouts, stores) holds a
# registry's password, except the registries' own directories and the files a test names in
# registry_credential_files (where it stored a credential on purpose). A find fails the test.
registry_credential_files=()
scan_for_passwords() {
    local dir password file found=0 skip
    for dir in "${registry_dirs[@]}"; do
        [[ -r $dir/password ]] || continue
        password=$(<"$dir/password")
        while IFS= read -r file; do
            skip=0
            for dir in "${registry_dirs[@]}" "${registry_credential_files[@]}"; do
                [[ $file == "$dir" || $file == "$dir"/* ]] && skip=1
            done
            if ((!skip)); then
                echo "FAIL: $file holds a registry password" >&2
                found=1
            fi
        done < <(grep -rlF -e "$password" "$work" 2>/dev/null)
    done
    ((found == 0))
}

# Run stop_registries and the scan first, then whatever EXIT trap was there (common.bash's
# removal of $work); a password found makes the exit status 1.
eval "registry_previous_trap=($(trap -p EXIT))"
# shellcheck disable=SC2064 # the previous trap's text is taken now, on purpose
trap "registry_status=\$?; scan_for_passwords || registry_status=1; stop_registries; ${registry_previous_trap[2]:-}; exit \$registry_status" EXIT
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
