# Push, pull and copy against the real registry keep every digest, in its three auth modes (none,
# htpasswd basic and token, with --creds): what hoist pushes, skopeo sees with the same digest;
# pulled into an empty store and copied to an OCI layout, the manifest, config and layers come
# back byte for byte.
source "$(dirname "$0")/lib/common.bash"
source "$lib_dir/registry.bash"

make_two_layer_image src v1
want=$(layout_digest src v1)
expect_eq "$(skopeo inspect --raw oci:src:v1 | jq '.layers | length')" 2 "layers in the test image"
blobs=$( (echo "$want"; skopeo inspect --raw oci:src:v1 | jq -r '.config.digest, .layers[].digest') | cut -d: -f2 | sort)
"$HOIST" copy -q oci:src:v1 local:e2e/app:1 >/dev/null

for mode in none basic token; do
    start_registry "$mode"
    creds=()
    [[ $mode == none ]] || creds=(--creds "$HOIST_TEST_CREDS")  # the same flag for skopeo
    remote=$HOIST_TEST_REGISTRY/e2e/app:1

    expect_eq "$("$HOIST" push -q "${creds[@]}" e2e/app:1 "$remote")" "$want" "$mode: digest printed by push"
    expect_eq "$(skopeo inspect --tls-verify=false "${creds[@]}" "docker://$remote" | jq -r .Digest)" "$want" \
        "$mode: skopeo's digest of the pushed image"
    expect_eq "$(skopeo inspect --raw --tls-verify=false "${creds[@]}" "docker://$remote")" \
        "$(skopeo inspect --raw oci:src:v1)" "$mode: manifest bytes in the registry"
    expect_eq "$("$HOIST" digest "${creds[@]}" "docker://$remote")" "$want" "$mode: hoist digest of the pushed image"

    # Pulled into an empty store: the same manifest, config and blobs, nothing else.
    store=$work/pulled-$mode
    expect_eq "$(HOIST_ROOT=$store "$HOIST" pull -q "${creds[@]}" "$remote")" "$want" "$mode: digest printed by pull"
    expect_eq "$(HOIST_ROOT=$store "$HOIST" digest "local:$remote")" "$want" "$mode: digest of the pulled image"
    expect_eq "$(HOIST_ROOT=$store "$HOIST" inspect --raw "local:$remote")" "$(skopeo inspect --raw oci:src:v1)" \
        "$mode: pulled manifest bytes"
    expect_eq "$(HOIST_ROOT=$store "$HOIST" inspect --config "local:$remote")" \
        "$(skopeo inspect --config --raw oci:src:v1)" "$mode: pulled config bytes"
    expect_eq "$(HOIST_ROOT=$store "$HOIST" inspect "local:$remote" | jq -r '.Env[0]')" "GREETING=hello" \
        "$mode: pulled image's Env"
    expect_blobs_intact "$store"
    expect_eq "$(ls "$store/blobs/sha256" | sort)" "$blobs" "$mode: the pulled store's blobs"

    # Copied from the registry to an OCI layout: the same digest, and a layout skopeo reads.
    expect_eq "$("$HOIST" copy -q "${creds[@]}" "docker://$remote" "oci:out-$mode:v1")" "Copied $want" \
        "$mode: copy to an OCI layout"
    expect_eq "$(layout_digest "out-$mode" v1)" "$want" "$mode: digest in the copied layout"
    expect_eq "$(skopeo inspect --config --raw "oci:out-$mode:v1")" "$(skopeo inspect --config --raw oci:src:v1)" \
        "$mode: config bytes in the copied layout"
    expect_blobs_intact "out-$mode"
    stop_registry
done
