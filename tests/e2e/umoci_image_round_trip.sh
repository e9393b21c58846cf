# An image umoci made goes into the store and comes out as an OCI layout that oci-image-tool
# validates and skopeo reads with the same digest, and as a docker-archive that skopeo reads.
source "$(dirname "$0")/lib/common.bash"

make_umoci_image src v1
want=$(layout_digest src v1)

"$HOIST" copy oci:src:v1 local:app-sync:dev >/dev/null
"$HOIST" images | grep -Eq '^app-sync +dev ' || fail "hoist images does not list app-sync:dev"

"$HOIST" copy local:app-sync:dev oci:out:v1 >/dev/null
oci-image-tool validate --type image --ref name=v1 out >/dev/null || fail "oci-image-tool rejects the layout"
expect_eq "$(skopeo inspect oci:out:v1 | jq -r .Digest)" "$want" "skopeo's digest of oci:out:v1"
expect_eq "$(layout_digest out v1)" "$want" "index.json digest of out:v1"
expect_blobs_intact out

"$HOIST" save app-sync:dev -o app.tar
config=$(skopeo inspect --raw oci:src:v1 | jq -r .config.digest)
expect_eq "$(skopeo inspect --raw docker-archive:app.tar | jq -r .config.digest)" "$config" \
    "config digest in the docker-archive"
expect_eq "$(skopeo inspect docker-archive:app.tar | jq -r '.Env[0]')" "GREETING=hello" "Env in the docker-archive"
expect_eq "$(tar -xOf app.tar manifest.json | jq -r '.[0].RepoTags[0]')" "app-sync:dev" "RepoTags"

# The docker-archive loads back under its name with the same image ID (the config digest).
"$HOIST" rmi app-sync:dev >/dev/null
"$HOIST" load -i app.tar | grep -qx 'Loaded image: app-sync:dev' || fail "load does not report the name"
"$HOIST" images -q | grep -qx "${config:7:12}" || fail "loaded image has another ID"
