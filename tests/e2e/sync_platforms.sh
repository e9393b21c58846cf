# A sync config naming platforms mirrors only their images: the destination's tag is an index of
# the source's entries for those platforms, compact JSON (a new digest, which a second sync finds
# up to date), and the other platforms' images are not copied.
source "$(dirname "$0")/lib/common.bash"
source "$lib_dir/registry.bash"
source "$lib_dir/sync.bash"

start_mirror_fixture 1 1000
jq -n --arg hub "$hub" --arg ecr "$ecr" \
    '{destination: {registry: $ecr, prefix: "mirror"}, platforms: ["linux/arm64", "linux/arm/v7"],
      repositories: [{source: ($hub + "/library/app"), tags: ["latest"]}]}' >sync.json
source_index=src/blobs/sha256/$(layout_digest src new | cut -d: -f2)
jq -c '.manifests = [.manifests[] | select(.platform.architecture != "amd64")]' "$source_index" | tr -d '\n' >want.json
want=sha256:$(sha256sum <want.json | cut -d' ' -f1)

expect_eq "$("$HOIST" -q sync --config sync.json)" "copied $hub/library/app:latest -> $ecr/mirror/library/app:latest $want
1 images: 1 copied, 0 up to date, 0 to copy, 0 failed" "output of the sync"
expect_eq "$(skopeo inspect --raw --tls-verify=false "docker://$ecr/mirror/library/app:latest" | jq -c .)" \
    "$(jq -c . want.json)" "the index at the destination"
for child in $(jq -r '.manifests[].digest' "$source_index"); do
    arch=$(jq -r --arg d "$child" '.manifests[] | select(.digest == $d) | .platform.architecture' "$source_index")
    if skopeo inspect --raw --tls-verify=false "docker://$ecr/mirror/library/app@$child" >/dev/null 2>&1; then
        [[ $arch != amd64 ]] || fail "the amd64 image was copied"
    else
        [[ $arch == amd64 ]] || fail "the $arch image is missing"
    fi
done
expect_eq "$("$HOIST" -q sync --config sync.json | head -n 1)" \
    "up-to-date $hub/library/app:latest -> $ecr/mirror/library/app:latest $want" "second sync"
