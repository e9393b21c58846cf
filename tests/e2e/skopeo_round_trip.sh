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
