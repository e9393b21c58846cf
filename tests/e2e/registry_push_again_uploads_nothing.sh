# A second push of an image the registry already has uploads no blob byte, in the three auth
# modes: every blob event of --progress json says "present" with 0 bytes, and the registry's
# access log shows no request of hoist's to blobs/uploads/ during that push (only HEADs).
source "$(dirname "$0")/lib/common.bash"
source "$lib_dir/registry.bash"

make_two_layer_image src v1
want=$(layout_digest src v1)
blob_count=$(skopeo inspect --raw oci:src:v1 | jq '.layers | length + 1')
"$HOIST" copy -q oci:src:v1 local:e2e/app:1 >/dev/null

for mode in none basic token; do
    start_registry "$mode"
    creds=()
    [[ $mode == none ]] || creds=(--creds "$HOIST_TEST_CREDS")  # the same flag for skopeo
    remote=$HOIST_TEST_REGISTRY/e2e/app:1

    "$HOIST" push --progress json "${creds[@]}" e2e/app:1 "$remote" >/dev/null 2>first.json
    expect_eq "$(jq -s '[.[] | select(.event == "blob") | .outcome] | unique | join(" ")' -r first.json)" copied \
        "$mode: blob outcomes of the first push"

    sleep 0.2  # the registry writes an access log line just after its answer
    mark=$(wc -l <"$HOIST_TEST_REGISTRY_LOG")
    expect_eq "$("$HOIST" push --progress json "${creds[@]}" e2e/app:1 "$remote" 2>second.json)" "$want" \
        "$mode: digest printed by the second push"
    expect_eq "$(jq -s '[.[] | select(.event == "blob")] | length' second.json)" "$blob_count" \
        "$mode: blob events of the second push"
    expect_eq "$(jq -s '[.[] | select(.event == "blob") | .outcome] | unique | join(" ")' -r second.json)" present \
        "$mode: blob outcomes of the second push"
    expect_eq "$(jq -s '[.[] | select(.event == "blob") | .bytes] | add' second.json)" 0 \
        "$mode: bytes uploaded by the second push"
    sleep 0.2
    hoist_requests "$mark" >second.requests
    expect_eq "$(grep -c '^HEAD .*/blobs/sha256:' second.requests)" "$blob_count" \
        "$mode: blob HEADs of the second push"
    if grep '/blobs/uploads' second.requests; then
        fail "$mode: the second push used blobs/uploads/"
    fi
    expect_eq "$(skopeo inspect --tls-verify=false "${creds[@]}" "docker://$remote" |
        jq -r .Digest)" "$want" "$mode: digest in the registry"
    stop_registry
done
