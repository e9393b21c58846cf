# --output type=oci, type=docker and type=oci-archive write images that other tools load and
# unpack: the OCI layout with umoci and skopeo, the docker archive with hoist load and skopeo,
# the oci-archive with skopeo and hoist load. With SOURCE_DATE_EPOCH every output holds the same
# image (config digest = --iidfile), the one -t puts in the store.
source "$(dirname "$0")/lib/common.bash"
source "$lib_dir/build.bash"
export SOURCE_DATE_EPOCH=1700000000

make_busybox_base e2e/busybox:1
mkdir ctx
echo "payload" >ctx/payload.txt
printf 'FROM e2e/busybox:1\nCOPY payload.txt /srv/\nCMD ["cat", "/srv/payload.txt"]\n' >ctx/Dockerfile

"$HOIST" -q build -t e2e/out:1 --iidfile store.iid ctx >/dev/null
id=$(cat store.iid)
[[ $id =~ ^sha256:[0-9a-f]{64}$ ]] || fail "--iidfile holds '$id'"
expect_eq "$("$HOIST" inspect --raw local:e2e/out:1 | jq -r .config.digest)" "$id" "--iidfile against the stored manifest"
payload_line="srv/payload.txt 0o100000 0o644 0:0 8 $(sha256sum <ctx/payload.txt | cut -d' ' -f1)"

# type=oci: a layout umoci unpacks and skopeo reads.
"$HOIST" -q build -t e2e/out:1 --output type=oci,dest=layout --iidfile oci.iid ctx >/dev/null
expect_eq "$(cat oci.iid)" "$id" "image ID of the type=oci build"
tag=$(jq -r '.manifests[0].annotations["org.opencontainers.image.ref.name"] // empty' layout/index.json)
[[ -n $tag ]] || fail "type=oci: index.json names no image (org.opencontainers.image.ref.name): $(cat layout/index.json)"
umoci unpack --rootless --image "layout:$tag" bundle >/dev/null
grep -qxF "$payload_line" <(python3 "$lib_dir/tree.py" bundle/rootfs --rootless) ||
    fail "type=oci: umoci's tree has no '$payload_line'"
expect_eq "$(skopeo inspect --raw "oci:layout:$tag" | jq -r .config.digest)" "$id" \
    "type=oci: config digest by skopeo"
expect_blobs_intact layout

# type=docker: an archive hoist load and skopeo read.
"$HOIST" -q build -t e2e/out:1 --output type=docker,dest=image.tar ctx >/dev/null
expect_eq "sha256:$(skopeo inspect --raw --config docker-archive:image.tar | sha256sum | cut -d' ' -f1)" "$id" \
    "type=docker: config digest by skopeo"
HOIST_ROOT=$work/store-docker "$HOIST" load -i image.tar >/dev/null
expect_eq "$(HOIST_ROOT=$work/store-docker "$HOIST" inspect --raw local:e2e/out:1 | jq -r .config.digest)" \
    "$id" "type=docker: config digest after hoist load"

# type=oci-archive: skopeo inspects it; hoist load reads it.
"$HOIST" -q build -t e2e/out:1 --output type=oci-archive,dest=image.oci.tar ctx >/dev/null
expect_eq "$(skopeo inspect --raw oci-archive:image.oci.tar | jq -r .config.digest)" "$id" \
    "type=oci-archive: config digest by skopeo"
expect_eq "$(skopeo inspect oci-archive:image.oci.tar | jq -r '.Layers | length')" 2 "type=oci-archive: layers"
HOIST_ROOT=$work/store-oci-archive "$HOIST" load -i image.oci.tar >/dev/null
HOIST_ROOT=$work/store-oci-archive "$HOIST" images | grep -q . || fail "type=oci-archive: hoist load stored nothing"

# --compression zstd: skopeo sees zstd layers for what the build wrote, the base's stay as they are.
"$HOIST" -q build -t e2e/out:zstd --compression zstd --output type=oci,dest=zstd-layout ctx >/dev/null
zstd_tag=$(jq -r '.manifests[0].annotations["org.opencontainers.image.ref.name"] // empty' zstd-layout/index.json)
if [[ -n $zstd_tag ]]; then
    expect_eq "$(skopeo inspect --raw "oci:zstd-layout:$zstd_tag" | jq -r '.layers[-1].mediaType')" \
        application/vnd.oci.image.layer.v1.tar+zstd "media type of the built layer with --compression zstd"
fi
