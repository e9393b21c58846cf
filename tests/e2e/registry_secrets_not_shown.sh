# No credential appears in anything hoist prints: push, pull, copy, inspect, digest, ls, tag,
# delete, login and logout, succeeding and failing (wrong password, no credentials, a missing
# image), with --progress plain and json, against basic and token auth. The captured stdout and
# stderr of every run hold neither password, nor the base64 of user:password (what Basic sends),
# nor "Bearer " (a token header).
source "$(dirname "$0")/lib/common.bash"
source "$lib_dir/registry.bash"
registry_credential_files+=("$work/password")  # what --password-stdin reads

unset REGISTRY_AUTH_FILE
export DOCKER_CONFIG=$work/docker
mkdir output

make_umoci_image src v1
"$HOIST" copy -q oci:src:v1 local:e2e/app:1 >/dev/null

runs=0
# run EXPECTED_STATUS ARGS...: runs hoist, its stdout and stderr kept in output/.
run() {
    local want=$1 status=0
    shift
    runs=$((runs + 1))
    "$HOIST" "$@" >"output/$runs.out" 2>"output/$runs.err" <"${stdin:-/dev/null}" || status=$?
    [[ $status == "$want" ]] || {
        cat "output/$runs.err" >&2
        fail "hoist $*: exit status $status, want $want"
    }
}

for mode in basic token; do
    start_registry "$mode"
    r=$HOIST_TEST_REGISTRY
    good=(--creds "$HOIST_TEST_CREDS")
    bad=(--creds "$HOIST_TEST_USER:wrong-$HOIST_TEST_PASSWORD")
    # What moves blobs, in both progress formats, succeeding and refused.
    for progress in plain json; do
        p=(--progress "$progress")
        run 0 push "${p[@]}" "${good[@]}" e2e/app:1 "$r/e2e/app:1"
        run 1 push "${p[@]}" "${bad[@]}" e2e/app:1 "$r/e2e/app:2"
        HOIST_ROOT=$work/pulled-$progress run 0 pull "${p[@]}" "${good[@]}" "$r/e2e/app:1"
        HOIST_ROOT=$work/pulled-$progress run 1 pull "${p[@]}" "${bad[@]}" "$r/e2e/app:1"
        run 0 copy "${p[@]}" "${good[@]}" "docker://$r/e2e/app:1" "docker://$r/e2e/copy:1"
        run 1 copy "${p[@]}" "${bad[@]}" "docker://$r/e2e/app:1" "oci:out:v1"
    done
    # The rest once: no credentials, a missing image, the registry-side verbs, login and logout.
    run 1 push e2e/app:1 "$r/e2e/app:2"
    run 1 pull "${good[@]}" "$r/e2e/nothing:1"
    run 0 inspect "${good[@]}" "docker://$r/e2e/app:1"
    run 1 inspect "${bad[@]}" "docker://$r/e2e/app:1"
    run 0 digest "${good[@]}" "docker://$r/e2e/app:1"
    run 0 tag "${good[@]}" "docker://$r/e2e/app:1" 3
    run 0 ls "${good[@]}" "$r/e2e/app"
    run 1 ls "${bad[@]}" "$r/e2e/app"
    run 1 delete "${bad[@]}" "$r/e2e/app:3"
    run 0 delete "${good[@]}" "$r/e2e/app:3"
    run 1 delete "${good[@]}" "$r/e2e/app:3"
    printf '%s\n' "wrong-$HOIST_TEST_PASSWORD" >password
    stdin=password run 1 login "$r" -u "$HOIST_TEST_USER" --password-stdin
    printf '%s\n' "$HOIST_TEST_PASSWORD" >password
    stdin=password run 0 login "$r" -u "$HOIST_TEST_USER" --password-stdin
    run 0 push --progress json e2e/app:1 "$r/e2e/app:4"
    run 0 logout "$r"
    run 1 logout "$r"

    # Each secret, and what it is sent as, in any of the captured output.
    for secret in "$HOIST_TEST_PASSWORD" "wrong-$HOIST_TEST_PASSWORD" \
        "$(printf %s "$HOIST_TEST_CREDS" | base64 -w0)" \
        "$(printf %s "$HOIST_TEST_USER:wrong-$HOIST_TEST_PASSWORD" | base64 -w0)" "Bearer "; do
        if grep -rlF -e "$secret" output; then
            fail "$mode: a secret in hoist's output (files above)"
        fi
    done
    # The runs did what they say: events in the json runs, the registry's refusals in the failures.
    grep -qh '"event":"blob"' output/*.err || fail "$mode: no json progress captured"
    grep -qh '401' output/*.err || fail "$mode: no refusal captured"
    rm -f output/*
    stop_registry
done
