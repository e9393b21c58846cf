# hoist sync copies an image's referrers (here an SBOM artifact whose subject is the index) along
# with the image: the source lists them in the fallback tag (the registry has no referrers API),
# the artifact arrives with its digest, and the destination's fallback tag lists it. A second
# sync copies nothing more.
source "$(dirname "$0")/lib/common.bash"
source "$lib_dir/registry.bash"
source "$lib_dir/sync.bash"

make_multiarch_layout src 1 1000
index=$(layout_digest src new)
# The SBOM: an artifact manifest with the index as subject, and the fallback tag's index.
python3 - src "$index" <<'PY'
import hashlib, json, sys
root, subject = sys.argv[1], sys.argv[2]
def put(data):
    digest = hashlib.sha256(data).hexdigest()
    open(f"{root}/blobs/sha256/{digest}", "wb").write(data)
    return {"digest": f"sha256:{digest}", "size": len(data)}
size = len(open(f"{root}/blobs/sha256/{subject[7:]}", "rb").read())
artifact = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "artifactType": "application/spdx+json",
            "config": dict(mediaType="application/vnd.oci.empty.v1+json", **put(b"{}")),
            "layers": [dict(mediaType="application/spdx+json", **put(b'{"spdxVersion": "SPDX-2.3"}'))],
            "subject": {"mediaType": "application/vnd.oci.image.index.v1+json", "digest": subject, "size": size}}
entry = dict(mediaType=artifact["mediaType"], **put(json.dumps(artifact).encode()), artifactType=artifact["artifactType"])
fallback = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [entry]}
refs = json.load(open(f"{root}/index.json"))
refs["manifests"].append(dict(entry, annotations={"org.opencontainers.image.ref.name": "sbom"}))
refs["manifests"].append(dict(mediaType=fallback["mediaType"], **put(json.dumps(fallback).encode()),
                              annotations={"org.opencontainers.image.ref.name": "fallback"}))
json.dump(refs, open(f"{root}/index.json", "w"))
print(entry["digest"], file=open(f"{root}/sbom-digest", "w"))
PY
sbom=$(cat src/sbom-digest)
start_hub_and_ecr
"$HOIST" copy -q oci:src:new "docker://$hub/library/app:1" >/dev/null
"$HOIST" copy -q oci:src:sbom "docker://$hub/library/app@$sbom" >/dev/null
"$HOIST" copy -q oci:src:fallback "docker://$hub/library/app:sha256-${index#sha256:}" >/dev/null
write_sync_config sync.json '["1"]'

expect_eq "$("$HOIST" -q sync --config sync.json)" "copied $hub/library/app:1 -> $ecr/mirror/library/app:1 $index (1 referrers)
1 images: 1 copied, 0 up to date, 0 to copy, 0 failed" "output of the sync"
expect_eq "$(skopeo inspect --raw --tls-verify=false "docker://$ecr/mirror/library/app@$sbom" | sha256sum | cut -d' ' -f1)" \
    "${sbom#sha256:}" "the SBOM at the destination"
expect_eq "$(skopeo inspect --raw --tls-verify=false "docker://$ecr/mirror/library/app:sha256-${index#sha256:}" |
    jq -r '[.manifests[] | "\(.digest) \(.artifactType)"] | join(",")')" "$sbom application/spdx+json" \
    "the destination's fallback tag"

ecr_mark=$(wc -l <"$ecr_log")
expect_eq "$("$HOIST" -q sync --config sync.json)" "up-to-date $hub/library/app:1 -> $ecr/mirror/library/app:1 $index
1 images: 0 copied, 1 up to date, 0 to copy, 0 failed" "output of the second sync"
if registry_requests "$ecr_log" "$ecr_mark" | grep -v '^HEAD \|^GET '; then
    fail "the second sync wrote to the destination"
fi
