# skopeo -> hoist -> skopeo keeps every digest, through oci-archive, oci layouts and the store.
source "$(dirname "$0")/lib/common.bash"

make_umoci_image src v1
skopeo copy -q oci:src:v1 oci-archive:in.tar:v1
"$HOIST" copy oci-archive:in.tar:v1 local:127.0.0.1:5000/app:1 >/dev/null
"$HOIST" copy local:127.0.0.1:5000/app:1 oci-archive:out.tar:v1 >/dev/null
skopeo copy -q oci-archive:out.tar:v1 oci:back:v1

expect_eq "$(layout_digest back v1)" "$(layout_digest src v1)" "manifest digest after the round trip"
expect_eq "$(skopeo inspect --raw oci:back:v1)" "$(skopeo inspect --raw oci:src:v1)" "manifest bytes"
expect_eq "$(skopeo inspect --config --raw oci:back:v1)" "$(skopeo inspect --config --raw oci:src:v1)" "config bytes"
reachable=$( (layout_digest src v1; skopeo inspect --raw oci:src:v1 | jq -r '.config.digest, .layers[].digest') |
    cut -d: -f2 | sort)
expect_eq "$(ls back/blobs/sha256 | sort)" "$reachable" "the set of blobs"

# hoist save --format oci names the image so that load brings the name back.
"$HOIST" save 127.0.0.1:5000/app:1 -o saved.tar --format oci
"$HOIST" rmi 127.0.0.1:5000/app:1 >/dev/null
expect_eq "$("$HOIST" load -i saved.tar)" "Loaded image: 127.0.0.1:5000/app:1" "load of an oci-archive"
expect_eq "$(skopeo inspect oci-archive:saved.tar:docker.io/library/x 2>/dev/null || true)" "" "a name not in the archive"
expect_eq "$(skopeo inspect oci-archive:saved.tar:127.0.0.1:5000/app:1 | jq -r .Digest)" "$(layout_digest src v1)" \
    "skopeo reads hoist's oci-archive"

# A docker-archive that skopeo wrote (uncompressed layers) loads with the image ID kept.
skopeo copy -q oci:src:v1 docker-archive:skopeo.tar:app:v2
expect_eq "$("$HOIST" load -i skopeo.tar)" "Loaded image: app:v2" "load of skopeo's docker-archive"
config=$(skopeo inspect --raw oci:src:v1 | jq -r .config.digest)
expect_eq "$("$HOIST" inspect --raw local:app:v2 | jq -r .config.digest)" "$config" "config digest after load"

# An index of two platforms goes through the store unchanged; a docker-archive takes the
# host's platform from it.
manifest=$(layout_digest src v1)
size=$(stat -c %s "src/blobs/sha256/${manifest#sha256:}")
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%d,"platform":{"architecture":"arm64","os":"linux"}},{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%d,"platform":{"architecture":"amd64","os":"linux"}}]}' \
    "$manifest" "$size" "$manifest" "$size" >index.json
index=sha256:$(sha256sum index.json | cut -d' ' -f1)
mv index.json "src/blobs/sha256/${index#sha256:}"
jq --arg d "$index" --argjson s "$(stat -c %s "src/blobs/sha256/${index#sha256:}")" \
    '.manifests += [{mediaType: "application/vnd.oci.image.index.v1+json", digest: $d, size: $s,
      annotations: {"org.opencontainers.image.ref.name": "multi"}}]' src/index.json >src/index.new
mv src/index.new src/index.json
"$HOIST" copy oci:src:multi local:multi:1 >/dev/null
"$HOIST" copy local:multi:1 oci:multi-out:multi >/dev/null
expect_eq "$(layout_digest multi-out multi)" "$index" "index digest after the store"
oci-image-tool validate --type image --ref name=multi multi-out >/dev/null || fail "oci-image-tool rejects the index"
if [[ $(uname -m) == x86_64 ]]; then
    "$HOIST" save multi:1 -o multi.tar
    expect_eq "$(skopeo inspect --raw docker-archive:multi.tar | jq -r .config.digest)" "$config" "platform image"
fi
