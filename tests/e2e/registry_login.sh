# `hoist login` checks the credentials against the registry and stores them in
# $DOCKER_CONFIG/config.json with mode 0600 (a wrong password writes nothing); `hoist push` and
# `hoist pull` then use them without --creds, and skopeo reads the same file; `hoist logout`
# removes them, after which a push is refused with the registry's 401. With basic and token auth.
source "$(dirname "$0")/lib/common.bash"
source "$lib_dir/registry.bash"

unset REGISTRY_AUTH_FILE
export DOCKER_CONFIG=$work/docker
config=$DOCKER_CONFIG/config.json

make_umoci_image src v1
want=$(layout_digest src v1)
"$HOIST" copy -q oci:src:v1 local:e2e/app:1 >/dev/null

for mode in basic token; do
    start_registry "$mode"
    r=$HOIST_TEST_REGISTRY
    rm -rf "$DOCKER_CONFIG"

    # A wrong password: refused, nothing written.
    if [[ $mode == basic ]]; then
        refused="401 UNAUTHORIZED: authentication required (the credentials for $r were refused)"
    else
        refused="token server $HOIST_TEST_TOKEN_REALM: 401 UNAUTHORIZED: invalid credentials (the credentials for $r were refused)"
    fi
    expect_error 1 "hoist: login $r: $refused" "$HOIST" login "$r" -u "$HOIST_TEST_USER" --password-stdin <<<wrong
    [[ ! -e $config ]] || fail "$mode: a failed login wrote $config"

    # The right one: stored as an auths entry, in a file only its owner reads.
    expect_eq "$("$HOIST" login "$r" -u "$HOIST_TEST_USER" --password-stdin <<<"$HOIST_TEST_PASSWORD")" \
        "Login Succeeded (credentials stored in $config)" "$mode: login"
    expect_eq "$(stat -c %a "$config")" 600 "$mode: mode of $config"
    expect_eq "$(jq -r --arg r "$r" '.auths[$r].auth' "$config")" "$(printf %s "$HOIST_TEST_CREDS" | base64 -w0)" \
        "$mode: the stored auths entry"
    # Another wrong password leaves the stored credentials as they were.
    cp "$config" stored.json
    expect_error 1 "hoist: login $r: $refused" "$HOIST" login "$r" -u "$HOIST_TEST_USER" --password-stdin <<<wrong
    cmp -s "$config" stored.json || fail "$mode: a failed login changed $config"

    # push and pull without --creds use them; skopeo reads the file hoist wrote.
    expect_eq "$("$HOIST" push -q e2e/app:1 "$r/e2e/app:1")" "$want" "$mode: push with the stored credentials"
    expect_eq "$(HOIST_ROOT=$work/pulled-$mode "$HOIST" pull -q "$r/e2e/app:1")" "$want" \
        "$mode: pull with the stored credentials"
    expect_eq "$(skopeo inspect --tls-verify=false --authfile "$config" "docker://$r/e2e/app:1" | jq -r .Digest)" \
        "$want" "$mode: skopeo with hoist's auth file"

    # logout: the entry goes (the file stays private); a push is then refused.
    expect_eq "$("$HOIST" logout "$r")" "Removed login credentials for $r" "$mode: logout"
    expect_eq "$(jq -c --arg r "$r" '.auths | has($r)' "$config")" false "$mode: auths entry after logout"
    expect_eq "$(stat -c %a "$config")" 600 "$mode: mode of $config after logout"
    if [[ $mode == basic ]]; then
        refused_push="manifest $want: 401 (no credentials for $r: hoist login $r, or --creds)"
    else
        refused_push="manifest $want: token server $HOIST_TEST_TOKEN_REALM: 401 UNAUTHORIZED: anonymous access is refused (no credentials for $r: hoist login $r, or --creds)"
    fi
    expect_error 1 "hoist: push $r/e2e/app:2: $refused_push" "$HOIST" push -q e2e/app:1 "$r/e2e/app:2"
    expect_error 1 "hoist: logout $r: no credentials for $r in $config" "$HOIST" logout "$r"
    stop_registry
done
