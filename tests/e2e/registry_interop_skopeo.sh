# hoist and skopeo read each other's pushes with identical digests (manifest, config, layers):
# what skopeo pushes (OCI, and converted to Docker schema 2), hoist pulls and copies byte for
# byte; what hoist pushes, skopeo copies to an OCI layout equal to the source. With token auth.
source "$(dirname "$0")/lib/common.bash"
source "$lib_dir/registry.bash"

make_two_layer_image src v1
want=$(layout_digest src v1)

start_registry token
r=$HOIST_TEST_REGISTRY
creds=(--creds "$HOIST_TEST_CREDS")  # the same flag for skopeo

# blob_digests MANIFEST: the config's and the layers' digests.
blob_digests() {
    jq -r '.config.digest, .layers[].digest' <<<"$1"
}

# skopeo -> hoist, as OCI and as Docker schema 2 (skopeo converts: other manifest bytes, the
# same layers).
skopeo copy -q --dest-tls-verify=false --dest-creds "$HOIST_TEST_CREDS" oci:src:v1 "docker://$r/e2e/by-skopeo:oci"
skopeo copy -q --dest-tls-verify=false --dest-creds "$HOIST_TEST_CREDS" --format v2s2 oci:src:v1 \
    "docker://$r/e2e/by-skopeo:v2s2"
for tag in oci v2s2; do
    remote=$r/e2e/by-skopeo:$tag
    manifest=$(skopeo inspect --raw --tls-verify=false "${creds[@]}" "docker://$remote")
    digest=$(skopeo inspect --tls-verify=false "${creds[@]}" "docker://$remote" | jq -r .Digest)
    expect_eq "$("$HOIST" pull -q "${creds[@]}" "$remote")" "$digest" "$tag: digest printed by hoist pull"
    expect_eq "$("$HOIST" inspect --raw "local:$remote")" "$manifest" "$tag: manifest bytes in hoist's store"
    expect_eq "$("$HOIST" inspect --config "local:$remote")" \
        "$(skopeo inspect --config --raw --tls-verify=false "${creds[@]}" "docker://$remote")" \
        "$tag: config bytes in hoist's store"
    for blob in $(blob_digests "$manifest"); do
        expect_eq "sha256:$(sha256sum "$HOIST_ROOT/blobs/sha256/${blob#sha256:}" | cut -d' ' -f1)" "$blob" \
            "$tag: blob $blob in hoist's store"
    done
    expect_eq "$(blob_digests "$manifest" | tail -n +2)" "$(blob_digests "$(skopeo inspect --raw oci:src:v1)" |
        tail -n +2)" "$tag: layer digests"
done
expect_eq "$("$HOIST" digest "local:$r/e2e/by-skopeo:oci")" "$want" "the OCI image's digest after skopeo and hoist"
expect_eq "$("$HOIST" inspect "local:$r/e2e/by-skopeo:v2s2" | jq -r '.LayersData[0].MIMEType')" \
    application/vnd.docker.image.rootfs.diff.tar.gzip "media type of a Docker schema 2 layer"
expect_blobs_intact "$HOIST_ROOT"

# hoist -> skopeo: the layout skopeo writes is the source, digest for digest.
"$HOIST" copy -q oci:src:v1 local:e2e/app:1 >/dev/null
expect_eq "$("$HOIST" push -q "${creds[@]}" e2e/app:1 "$r/e2e/by-hoist:1")" "$want" "digest printed by hoist push"
skopeo copy -q --src-tls-verify=false --src-creds "$HOIST_TEST_CREDS" "docker://$r/e2e/by-hoist:1" oci:back:v1
expect_eq "$(layout_digest back v1)" "$want" "manifest digest in skopeo's layout"
expect_eq "$(skopeo inspect --raw oci:back:v1)" "$(skopeo inspect --raw oci:src:v1)" "manifest bytes in skopeo's layout"
expect_eq "$(skopeo inspect --config --raw oci:back:v1)" "$(skopeo inspect --config --raw oci:src:v1)" \
    "config bytes in skopeo's layout"
expect_eq "$(ls back/blobs/sha256 | sort)" "$( (echo "$want"; blob_digests "$(skopeo inspect --raw oci:src:v1)") |
    cut -d: -f2 | sort)" "the blobs in skopeo's layout"
expect_blobs_intact back
# A Docker schema 2 image that skopeo pushed goes through hoist to another repository unchanged.
"$HOIST" copy -q "${creds[@]}" "docker://$r/e2e/by-skopeo:v2s2" "docker://$r/e2e/relayed:v2s2" >/dev/null
expect_eq "$(skopeo inspect --raw --tls-verify=false "${creds[@]}" "docker://$r/e2e/relayed:v2s2")" \
    "$(skopeo inspect --raw --tls-verify=false "${creds[@]}" "docker://$r/e2e/by-skopeo:v2s2")" \
    "Docker schema 2 manifest bytes after hoist's copy"
