# hoist sync mirrors a "Docker Hub" (a token-auth registry) repository holding 3-platform indexes
# under several tags into an "ECR" (a basic-auth registry, the ECR upload profile forced): every
# tag and every platform's image arrives with the source's digests and bytes. --dry-run first
# says what it would copy and writes nothing.
source "$(dirname "$0")/lib/common.bash"
source "$lib_dir/registry.bash"
source "$lib_dir/sync.bash"

start_mirror_fixture 2 100000
write_sync_config sync.json '["1.0.0", "1.1.0", "latest"]'
declare -A digest=([1.0.0]=$(layout_digest src old) [1.1.0]=$(layout_digest src new) [latest]=$(layout_digest src new))

mark=$(wc -l <"$ecr_log")
"$HOIST" --upload-profile ecr sync --config sync.json --dry-run | sort >dry.out  # images print as they finish
expect_eq "$(cat dry.out)" "3 images: 0 copied, 0 up to date, 3 to copy, 0 failed
would-copy $hub/library/app:1.0.0 -> $ecr/mirror/library/app:1.0.0 ${digest[1.0.0]}
would-copy $hub/library/app:1.1.0 -> $ecr/mirror/library/app:1.1.0 ${digest[1.1.0]}
would-copy $hub/library/app:latest -> $ecr/mirror/library/app:latest ${digest[latest]}" "output of the dry run"
if registry_requests "$ecr_log" "$mark" | grep -v '^HEAD\|^GET /v2/ '; then
    fail "the dry run wrote to the destination"
fi

"$HOIST" --upload-profile ecr -q sync --config sync.json | sort >sync.out
expect_eq "$(cat sync.out)" "3 images: 3 copied, 0 up to date, 0 to copy, 0 failed
copied $hub/library/app:1.0.0 -> $ecr/mirror/library/app:1.0.0 ${digest[1.0.0]}
copied $hub/library/app:1.1.0 -> $ecr/mirror/library/app:1.1.0 ${digest[1.1.0]}
copied $hub/library/app:latest -> $ecr/mirror/library/app:latest ${digest[latest]}" "output of the sync"

for tag in 1.0.0 1.1.0 latest; do
    expect_eq "$(skopeo inspect --raw --tls-verify=false "docker://$ecr/mirror/library/app:$tag" | sha256sum | cut -d' ' -f1)" \
        "${digest[$tag]#sha256:}" "index bytes of $tag at the destination"
    for child in $(jq -r '.manifests[].digest' "src/blobs/sha256/${digest[$tag]#sha256:}"); do
        expect_eq "$(skopeo inspect --raw --tls-verify=false "docker://$ecr/mirror/library/app@$child" | sha256sum | cut -d' ' -f1)" \
            "${child#sha256:}" "manifest $child of $tag at the destination"
        expect_eq "$(skopeo inspect --tls-verify=false "docker://$ecr/mirror/library/app@$child" | jq -r .Digest)" \
            "$child" "image $child of $tag at the destination"
    done
done
# Every blob of the layout, config and layers alike, is at the destination.
for blob in src/blobs/sha256/*; do
    code=$(curl -s -o /dev/null -w '%{http_code}' -I -u "$ecr_creds" \
        "http://$ecr/v2/mirror/library/app/blobs/sha256:$(basename "$blob")")
    [[ $code == 200 ]] || jq -e .mediaType "$blob" >/dev/null 2>&1 || fail "blob $(basename "$blob") missing: $code"
done
