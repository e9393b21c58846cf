# A copy between two repositories of one registry mounts every blob instead of uploading it (one
# token with push on the destination and pull on the source), and a retag on the registry
# (`hoist tag docker://R/a:1 2`) moves no blob at all: only manifests go up. In the three auth
# modes; the digests stay the same.
source "$(dirname "$0")/lib/common.bash"
source "$lib_dir/registry.bash"

make_two_layer_image src v1
want=$(layout_digest src v1)
blob_count=$(skopeo inspect --raw oci:src:v1 | jq '.layers | length + 1')

for mode in none basic token; do
    start_registry "$mode"
    creds=()
    [[ $mode == none ]] || creds=(--creds "$HOIST_TEST_CREDS")  # the same flag for skopeo
    r=$HOIST_TEST_REGISTRY
    "$HOIST" copy -q "${creds[@]}" oci:src:v1 "docker://$r/e2e/a:1" >/dev/null

    # The copy: every blob mounted from e2e/a, no byte uploaded, no upload session used.
    sleep 0.2  # the registry writes an access log line just after its answer
    mark=$(wc -l <"$HOIST_TEST_REGISTRY_LOG")
    expect_eq "$("$HOIST" copy --progress json "${creds[@]}" "docker://$r/e2e/a:1" "docker://$r/e2e/b:1" 2>copy.json)" \
        "Copied $want" "$mode: copy inside the registry"
    expect_eq "$(jq -s '[.[] | select(.event == "blob")] | length' copy.json)" "$blob_count" "$mode: blob events"
    expect_eq "$(jq -rs '[.[] | select(.event == "blob") | .outcome] | unique | join(" ")' copy.json)" mounted \
        "$mode: blob outcomes of the copy"
    expect_eq "$(jq -s '[.[] | select(.event == "blob") | .bytes] | add' copy.json)" 0 "$mode: bytes uploaded"
    sleep 0.2
    hoist_requests "$mark" >copy.requests
    expect_eq "$(grep -Ec '^POST /v2/e2e/b/blobs/uploads/\?mount=sha256:[0-9a-f]{64}&from=e2e/a 201$' copy.requests)" \
        "$blob_count" "$mode: mount requests"
    if grep -E '^(PATCH|PUT) .*/blobs/uploads/' copy.requests; then
        fail "$mode: the copy uploaded a blob"
    fi
    expect_eq "$(skopeo inspect --tls-verify=false "${creds[@]}" "docker://$r/e2e/b:1" | jq -r .Digest)" "$want" \
        "$mode: digest of the copy"
    if [[ $mode == token ]]; then
        # The mount's token was asked for with push on the destination and pull on the source.
        jq -r 'select(.user_agent | startswith("hoist/")) | .query' "$HOIST_TEST_TOKEN_LOG" | grep -q \
            'scope=repository%3Ae2e%2Fa%3Apull&scope=repository%3Ae2e%2Fb%3Apull%2Cpush' ||
            fail "token: no token request for the mount's two scopes"
    fi

    # The retag: the manifest goes up under the new tag, no blob is read, checked or sent.
    sleep 0.2
    mark=$(wc -l <"$HOIST_TEST_REGISTRY_LOG")
    expect_eq "$("$HOIST" tag "${creds[@]}" "docker://$r/e2e/a:1" 2)" "$want" "$mode: digest printed by tag"
    for ((i = 0; i < 100; i++)); do  # until the tag's PUT, its last request, is in the log
        hoist_requests "$mark" >tag.requests
        grep -q '^PUT /v2/e2e/a/manifests/2 201$' tag.requests && break
        sleep 0.05
    done
    grep -q '^PUT /v2/e2e/a/manifests/2 201$' tag.requests || fail "$mode: no manifest PUT for the new tag"
    if grep '/blobs/' tag.requests; then
        fail "$mode: the retag touched blobs"
    fi
    expect_eq "$(skopeo inspect --tls-verify=false "${creds[@]}" "docker://$r/e2e/a:2" | jq -r .Digest)" "$want" \
        "$mode: digest of the new tag"
    expect_eq "$(skopeo inspect --tls-verify=false "${creds[@]}" "docker://$r/e2e/a:1" | jq -r .Digest)" "$want" \
        "$mode: digest of the old tag"
    stop_registry
done
