# hoist killed with SIGKILL while it writes a blob leaves no partial blob at any blob path, and
# the next run succeeds; leftovers of the killed write are collected by the next gc.
source "$(dirname "$0")/lib/common.bash"

# An OCI layout with one large uncompressed layer, made by hand.
mkdir -p big/blobs/sha256
head -c 200000000 /dev/urandom >payload
tar -cf layer.tar payload
rm payload
put_blob() {  # put_blob FILE -> prints the digest and moves FILE into big/blobs
    local hex
    hex=$(sha256sum "$1" | cut -d' ' -f1)
    mv "$1" "big/blobs/sha256/$hex"
    echo "sha256:$hex"
}
layer_size=$(stat -c %s layer.tar)
layer=$(put_blob layer.tar)
printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["%s"]}}' "$layer" >config.json
config_size=$(stat -c %s config.json)
config=$(put_blob config.json)
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%d},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":%d}]}' \
    "$config" "$config_size" "$layer" "$layer_size" >manifest.json
manifest_size=$(stat -c %s manifest.json)
manifest=$(put_blob manifest.json)
printf '{"imageLayoutVersion":"1.0.0"}' >big/oci-layout
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%d,"annotations":{"org.opencontainers.image.ref.name":"v1"}}]}' \
    "$manifest" "$manifest_size" >big/index.json

killed=0
for attempt in 1 2 3; do
    "$HOIST" copy oci:big:v1 local:big:latest >/dev/null 2>&1 &
    pid=$!
    # Wait until the layer is being written, then let it go on a little longer each time.
    for _ in $(seq 1 3000); do
        compgen -G "$HOIST_ROOT/.blob.tmp-*" >/dev/null && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.01
    done
    sleep "0.0$attempt"
    if kill -KILL "$pid" 2>/dev/null; then
        killed=$((killed + 1))
    fi
    wait "$pid" 2>/dev/null || true
    expect_blobs_intact "$HOIST_ROOT"
    [[ ! -e $HOIST_ROOT/blobs/sha256/${layer#sha256:} ]] || [[ $(stat -c %s "$HOIST_ROOT/blobs/sha256/${layer#sha256:}") == "$layer_size" ]] ||
        fail "a partial layer is visible"
    if "$HOIST" images | grep -q '^big '; then
        break  # this attempt finished before the kill landed
    fi
done
((killed > 0)) || fail "hoist finished before it could be killed"

"$HOIST" copy oci:big:v1 local:big:latest >/dev/null
"$HOIST" images | grep -Eq '^big +latest ' || fail "the copy after the kill did not store the image"
expect_blobs_intact "$HOIST_ROOT"
expect_eq "$(sha256sum "$HOIST_ROOT/blobs/sha256/${layer#sha256:}" | cut -d' ' -f1)" "${layer#sha256:}" "the stored layer"

# rmi collects the image and the leftovers of the killed writes.
"$HOIST" rmi big:latest >/dev/null
expect_eq "$(ls -A "$HOIST_ROOT/blobs/sha256")" "" "blobs left after rmi"
expect_eq "$(cd "$HOIST_ROOT" && ls -A | sort | tr '\n' ' ')" "blobs index.json oci-layout " "files left in the store"
