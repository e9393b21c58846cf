# Exit status 0 on success, 1 when the operation fails, 2 for usage errors; one-line messages
# that name what failed and why.
source "$(dirname "$0")/lib/common.bash"

expect_eq "$("$HOIST" version)" "$("$HOIST" --version)" "version and --version"
"$HOIST" version | grep -Eqx 'hoist version [0-9]+\.[0-9]+\.[0-9]+' || fail "version format"
"$HOIST" copy --help | grep -q 'DESTINATION' || fail "copy --help"

expect_error 2 $'The following argument was not expected: --bogus\nRun with --help for more information.' \
    "$HOIST" images --bogus
expect_error 2 $'--output is required\nRun with --help for more information.' "$HOIST" save app
expect_error 2 $'--format: tar not in {docker,oci}\nRun with --help for more information.' \
    "$HOIST" save app -o x --format tar

expect_error 1 "hoist: inspect local:nope: no such image: nope" "$HOIST" inspect local:nope
expect_error 1 "hoist: tag nope app:1: no such image: nope" "$HOIST" tag nope app:1
make_umoci_image src v1
"$HOIST" copy oci:src:v1 local:app:1 >/dev/null
expect_error 1 'hoist: tag app:1 x/Bad: invalid reference "x/Bad": repository name must be lowercase' \
    "$HOIST" tag app:1 x/Bad
expect_error 1 "hoist: save app:1: create a temporary directory in $work/no/such/dir: No such file or directory" \
    "$HOIST" save app:1 -o "$work/no/such/dir/app.tar"
expect_error 1 "hoist: rmi app:2: no such image: app:2" "$HOIST" rmi app:2
expect_error 1 "hoist: copy docker://127.0.0.1:1/app local:a: registry 127.0.0.1:1: GET http://127.0.0.1:1/v2/: Couldn't connect to server" \
    "$HOIST" copy docker://127.0.0.1:1/app local:a
expect_error 1 "hoist: copy oci:missing local:a: missing: not an OCI layout (no oci-layout file)" \
    "$HOIST" copy oci:missing local:a
expect_error 1 'hoist: copy foo: local:a: "foo:": neither an image reference nor local:, oci:, oci-archive:, docker-archive: or docker://' \
    "$HOIST" copy foo: local:a
