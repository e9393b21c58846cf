# A hoist sync killed with SIGKILL midway (after its first blob, with more to go) leaves the
# destination without the unfinished tags, and running it again finishes the job: every tag then
# has the source's digest, and the blobs the killed run had copied are not copied again.
source "$(dirname "$0")/lib/common.bash"
source "$lib_dir/registry.bash"
source "$lib_dir/sync.bash"

start_mirror_fixture 5 2000000
jq -n --arg hub "$hub" --arg ecr "$ecr" \
    '{destination: {registry: $ecr, prefix: "mirror"}, images_at_once: 1,
      repositories: [{source: ($hub + "/library/app"), tags: ["1.0.0", "latest"]}]}' >sync.json

# One blob at a time, killed as soon as the first has been copied.
"$HOIST" --upload-profile ecr --jobs 1 --progress json sync --config sync.json >killed.out 2>killed.json &
pid=$!
for ((i = 0; i < 600; i++)); do
    grep -q '"outcome":"copied"' killed.json 2>/dev/null && break
    sleep 0.01
done
kill -KILL "$pid"
wait "$pid" 2>/dev/null || true
copied_before=$(jq -s '[.[] | select(.event == "blob" and .outcome == "copied")] | length' killed.json)
((copied_before >= 1 && copied_before < 16)) || fail "the sync was not killed midway ($copied_before blobs copied)"
for tag in 1.0.0 latest; do
    if skopeo inspect --raw --tls-verify=false "docker://$ecr/mirror/library/app:$tag" >/dev/null 2>&1; then
        fail "tag $tag exists after the killed sync"
    fi
done

"$HOIST" --upload-profile ecr --progress json sync --config sync.json 2>rerun.json | sort >rerun.out
expect_eq "$(cat rerun.out)" "2 images: 2 copied, 0 up to date, 0 to copy, 0 failed
copied $hub/library/app:1.0.0 -> $ecr/mirror/library/app:1.0.0 $(layout_digest src old)
copied $hub/library/app:latest -> $ecr/mirror/library/app:latest $(layout_digest src new)" "output of the second run"
# 3 platforms x (5 layers + a config), shared by both indexes.
expect_eq "$(jq -s '[.[] | select(.event == "blob" and .outcome == "copied")] | length' rerun.json)" \
    "$((18 - copied_before))" "blobs copied by the second run"
for tag in 1.0.0 latest; do
    expect_eq "$(skopeo inspect --raw --tls-verify=false "docker://$ecr/mirror/library/app:$tag" | sha256sum | cut -d' ' -f1)" \
        "$(skopeo inspect --raw --tls-verify=false "docker://$hub/library/app:$tag" | sha256sum | cut -d' ' -f1)" \
        "index of $tag at the destination"
done
