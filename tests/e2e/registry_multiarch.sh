# A multi-platform index goes to the registry whole (its bytes, and each platform's image), and
# coming back picks the right platform: `hoist pull` stores only this machine's image,
# `--platform linux/arm64` the arm64 one, `--all-platforms` the index; `hoist copy --platform`
# copies one manifest.
source "$(dirname "$0")/lib/common.bash"
source "$lib_dir/registry.bash"

case $(uname -m) in
x86_64) host=amd64 other=arm64 ;;
aarch64) host=arm64 other=amd64 ;;
*)
    echo "SKIP: the test knows amd64 and arm64 hosts only" >&2
    exit 77
    ;;
esac

# Two images with their own layer (make_umoci_image writes the tag into it) and config.
make_umoci_image src amd64
make_umoci_image src arm64
umoci config --image src:amd64 --architecture amd64 >/dev/null
umoci config --image src:arm64 --architecture arm64 >/dev/null
declare -A manifest config
for arch in amd64 arm64; do
    manifest[$arch]=$(layout_digest src "$arch")
    config[$arch]=$(skopeo inspect --raw "oci:src:$arch" | jq -r .config.digest)
done
entry() {  # entry ARCH: the index entry of ARCH's image
    printf '{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%d,"platform":{"architecture":"%s","os":"linux"}}' \
        "${manifest[$1]}" "$(stat -c %s "src/blobs/sha256/${manifest[$1]#sha256:}")" "$1"
}
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[%s,%s]}' \
    "$(entry arm64)" "$(entry amd64)" >index.json
index=sha256:$(sha256sum index.json | cut -d' ' -f1)
cp index.json "src/blobs/sha256/${index#sha256:}"
jq --arg d "$index" --argjson s "$(stat -c %s index.json)" \
    '.manifests += [{mediaType: "application/vnd.oci.image.index.v1+json", digest: $d, size: $s,
      annotations: {"org.opencontainers.image.ref.name": "multi"}}]' src/index.json >src/index.new
mv src/index.new src/index.json

start_registry token
creds=(--creds "$HOIST_TEST_CREDS")  # the same flag for skopeo
remote=$HOIST_TEST_REGISTRY/e2e/multi:1

# The whole index goes up: the same bytes, and both images under it.
expect_eq "$("$HOIST" copy -q "${creds[@]}" oci:src:multi "docker://$remote")" "Copied $index" "copy of the index"
expect_eq "$(skopeo inspect --raw --tls-verify=false "${creds[@]}" "docker://$remote")" "$(cat index.json)" \
    "index bytes in the registry"
for arch in amd64 arm64; do
    expect_eq "$(skopeo inspect --raw --tls-verify=false "${creds[@]}" \
        "docker://$HOIST_TEST_REGISTRY/e2e/multi@${manifest[$arch]}")" "$(skopeo inspect --raw "oci:src:$arch")" \
        "$arch manifest bytes in the registry"
done

# pull: this machine's image only, stored under the name, the other platform's blobs not fetched.
expect_eq "$("$HOIST" pull -q "${creds[@]}" "$remote")" "${manifest[$host]}" "digest printed by pull"
expect_eq "$("$HOIST" digest "local:$remote")" "${manifest[$host]}" "digest of the pulled image"
expect_eq "$("$HOIST" inspect "local:$remote" | jq -r .Architecture)" "$host" "architecture of the pulled image"
expect_eq "$("$HOIST" inspect --config "local:$remote" | jq -r .architecture)" "$host" "config of the pulled image"
[[ ! -e $HOIST_ROOT/blobs/sha256/${config[$other]#sha256:} ]] || fail "pull fetched the $other config"
[[ ! -e $HOIST_ROOT/blobs/sha256/${index#sha256:} ]] || fail "pull stored the index"
expect_blobs_intact "$HOIST_ROOT"

# pull --platform: the other one.
store=$work/store-$other
expect_eq "$(HOIST_ROOT=$store "$HOIST" pull -q "${creds[@]}" --platform "linux/$other" "$remote")" \
    "${manifest[$other]}" "digest printed by pull --platform linux/$other"
expect_eq "$(HOIST_ROOT=$store "$HOIST" inspect "local:$remote" | jq -r .Architecture)" "$other" \
    "architecture of the image pulled with --platform"
[[ ! -e $store/blobs/sha256/${config[$host]#sha256:} ]] || fail "pull --platform fetched the $host config"

# pull --all-platforms: the index and both images.
store=$work/store-all
expect_eq "$(HOIST_ROOT=$store "$HOIST" pull -q "${creds[@]}" --all-platforms "$remote")" "$index" \
    "digest printed by pull --all-platforms"
expect_eq "$(HOIST_ROOT=$store "$HOIST" inspect --raw "local:$remote")" "$(cat index.json)" "index bytes in the store"
expect_blobs_intact "$store"
for arch in amd64 arm64; do
    [[ -e $store/blobs/sha256/${config[$arch]#sha256:} ]] || fail "pull --all-platforms did not fetch the $arch config"
done

# copy --platform: one manifest, the arm64 one, in the layout.
expect_eq "$("$HOIST" copy -q "${creds[@]}" --platform linux/arm64 "docker://$remote" oci:out:one)" \
    "Copied ${manifest[arm64]}" "copy --platform linux/arm64"
expect_eq "$(jq -r '[.manifests[].digest] | join(" ")' out/index.json)" "${manifest[arm64]}" "the copied layout's index"
expect_eq "$(skopeo inspect --raw oci:out:one)" "$(skopeo inspect --raw oci:src:arm64)" "the copied manifest's bytes"
expect_eq "$(ls out/blobs/sha256 | wc -l)" "$(skopeo inspect --raw oci:src:arm64 | jq '.layers | length + 2')" \
    "blobs in the copied layout"
expect_blobs_intact out
