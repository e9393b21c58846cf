# A redirect to another host carries no Authorization: pulling through tools/redirector, whose
# blob GETs answer 307 to a listener on 127.0.0.2 that refuses any request with an Authorization
# header (--reject-authorization, as S3 does with a signed URL), works with basic and token auth,
# and every blob request there arrived without credentials, while the registry got them.
source "$(dirname "$0")/lib/common.bash"
source "$lib_dir/registry.bash"

make_two_layer_image src v1
want=$(layout_digest src v1)
blob_count=$(skopeo inspect --raw oci:src:v1 | jq '.layers | length + 1')
"$HOIST" copy -q oci:src:v1 local:e2e/app:1 >/dev/null

for mode in basic token; do
    start_registry "$mode" --redirector --reject-authorization
    creds=(--creds "$HOIST_TEST_CREDS")
    "$HOIST" push -q "${creds[@]}" e2e/app:1 "$HOIST_TEST_REGISTRY/e2e/app:1" >/dev/null
    : >"$HOIST_TEST_REDIRECTOR_LOG"

    remote=$HOIST_TEST_REDIRECTOR/e2e/app:1
    store=$work/pulled-$mode
    expect_eq "$(HOIST_ROOT=$store "$HOIST" pull -q "${creds[@]}" "$remote")" "$want" "$mode: pull through the redirector"
    expect_eq "$(HOIST_ROOT=$store "$HOIST" inspect --raw "local:$remote")" "$(skopeo inspect --raw oci:src:v1)" \
        "$mode: manifest bytes"
    expect_blobs_intact "$store"
    # Every blob (config and layers) came from the other host, asked for without credentials.
    expect_eq "$(jq -c 'select(.listener == "blobs") | [.method, .authorization, .status]' "$HOIST_TEST_REDIRECTOR_LOG" |
        sort | uniq -c | sed 's/^ *//')" "$blob_count [\"GET\",false,200]" "$mode: requests on 127.0.0.2"
    expect_eq "$(jq -c 'select(.listener == "front" and (.path | contains("/blobs/"))) | [.method, .authorization, .status]' \
        "$HOIST_TEST_REDIRECTOR_LOG" | sort | uniq -c | sed 's/^ *//')" "$blob_count [\"GET\",true,307]" \
        "$mode: blob requests to the registry's host"

    # A copy to an OCI layout takes the same way.
    : >"$HOIST_TEST_REDIRECTOR_LOG"
    "$HOIST" copy -q "${creds[@]}" "docker://$remote" "oci:out-$mode:v1" >/dev/null
    expect_eq "$(layout_digest "out-$mode" v1)" "$want" "$mode: digest of the copy through the redirector"
    expect_eq "$(jq -c 'select(.listener == "blobs") | .authorization' "$HOIST_TEST_REDIRECTOR_LOG" | sort -u)" false \
        "$mode: Authorization on 127.0.0.2 during the copy"
    stop_registry
done
