# Sourced by the sync end-to-end scripts after registry.bash: the registries and images of a
# mirroring job, made offline.
#
# make_multiarch_layout DIR LAYERS BYTES: an OCI layout at DIR holding two 3-platform indexes
# (linux/amd64, linux/arm64, linux/arm/v7; each image LAYERS uncompressed tar layers of BYTES
# random bytes, shared by both indexes) named "new" and "old" (the same images, an index
# annotation apart, so different digests).
# start_hub_and_ecr: a token-auth registry standing in for Docker Hub ($hub, $hub_creds,
# $hub_log) and a basic-auth one standing in for ECR ($ecr, $ecr_creds, $ecr_log), and $work/auth.json with both
# credentials, exported as REGISTRY_AUTH_FILE (after the registries started: they read
# REGISTRY_* variables).
# push_hub_tags DIR: copies the layout's "old" index to $hub/library/app:1.0.0 and its "new" one
# to :1.1.0 and :latest.
# start_mirror_fixture LAYERS BYTES: all three: the layout at src, the registries, the tags.

make_multiarch_layout() {
    python3 - "$@" <<'PY'
import hashlib, io, json, os, sys, tarfile
root, layers, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
os.makedirs(f"{root}/blobs/sha256", exist_ok=True)
def put(data):
    digest = hashlib.sha256(data).hexdigest()
    with open(f"{root}/blobs/sha256/{digest}", "wb") as f:
        f.write(data)
    return {"digest": f"sha256:{digest}", "size": len(data)}
def layer(name):
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo(name)
        info.size, info.mtime = size, 0
        tar.addfile(info, io.BytesIO(os.urandom(size)))
    return out.getvalue()
entries = []
for os_name, arch, variant in (("linux", "amd64", ""), ("linux", "arm64", ""), ("linux", "arm", "v7")):
    blobs = [layer(f"{arch}{variant}-{i}") for i in range(layers)]
    descriptors = [dict(mediaType="application/vnd.oci.image.layer.v1.tar", **put(b)) for b in blobs]
    platform = {"architecture": arch, "os": os_name, **({"variant": variant} if variant else {})}
    config = dict(platform, rootfs={"type": "layers", "diff_ids": [d["digest"] for d in descriptors]})
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": dict(mediaType="application/vnd.oci.image.config.v1+json",
                               **put(json.dumps(config).encode())),
                "layers": descriptors}
    entries.append(dict(mediaType=manifest["mediaType"], **put(json.dumps(manifest).encode()), platform=platform))
refs = []
for name in ("new", "old"):
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": entries}
    if name == "old":
        index["annotations"] = {"org.example.release": "old"}
    refs.append(dict(mediaType=index["mediaType"], **put(json.dumps(index).encode()),
                     annotations={"org.opencontainers.image.ref.name": name}))
with open(f"{root}/oci-layout", "w") as f:
    json.dump({"imageLayoutVersion": "1.0.0"}, f)
with open(f"{root}/index.json", "w") as f:
    json.dump({"schemaVersion": 2, "manifests": refs}, f)
PY
}

start_hub_and_ecr() {
    start_registry token
    hub=$HOIST_TEST_REGISTRY hub_creds=$HOIST_TEST_CREDS hub_log=$HOIST_TEST_REGISTRY_LOG
    start_registry basic --user AWS
    ecr=$HOIST_TEST_REGISTRY ecr_creds=$HOIST_TEST_CREDS ecr_log=$HOIST_TEST_REGISTRY_LOG
    jq -n --arg hub "$hub" --arg hub_auth "$(printf %s "$hub_creds" | base64 -w0)" \
        --arg ecr "$ecr" --arg ecr_auth "$(printf %s "$ecr_creds" | base64 -w0)" \
        '{auths: {($hub): {auth: $hub_auth}, ($ecr): {auth: $ecr_auth}}}' >"$work/auth.json"
    export REGISTRY_AUTH_FILE=$work/auth.json
}

push_hub_tags() {
    "$HOIST" copy -q "oci:$1:old" "docker://$hub/library/app:1.0.0" >/dev/null
    "$HOIST" copy -q "oci:$1:new" "docker://$hub/library/app:1.1.0" >/dev/null
    "$HOIST" copy -q "oci:$1:new" "docker://$hub/library/app:latest" >/dev/null
}

start_mirror_fixture() {
    make_multiarch_layout src "$1" "$2"
    start_hub_and_ecr
    push_hub_tags src
}

# write_sync_config FILE TAGS: a config mirroring $hub/library/app's TAGS (JSON) into $ecr under
# the prefix "mirror".
write_sync_config() {
    jq -n --arg hub "$hub" --arg ecr "$ecr" --argjson tags "$2" \
        '{destination: {registry: $ecr, prefix: "mirror"},
          repositories: [{source: ($hub + "/library/app"), tags: $tags}]}' >"$1"
}

# registry_requests LOG FROM: "METHOD PATH STATUS" of hoist's requests in a registry's access
# log after its first FROM lines.
registry_requests() {
    sleep 0.2  # the registry writes an access log line just after its answer
    tail -n +$(($2 + 1)) "$1" |
        sed -nE 's/^[0-9.]+ - [^"]*"([A-Z]+) ([^ ]+) HTTP[^"]*" ([0-9]+) .*"hoist\/[^"]*"$/\1 \2 \3/p'
}
