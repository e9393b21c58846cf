# A second hoist sync of what is already mirrored moves no blob byte: every image is "up-to-date"
# after one HEAD of its tag at each end, no blob event appears in --progress json, and neither
# registry sees a request for a blob or an upload (the source sees only manifest HEADs and the
# referrers lookups).
source "$(dirname "$0")/lib/common.bash"
source "$lib_dir/registry.bash"
source "$lib_dir/sync.bash"

start_mirror_fixture 2 100000
write_sync_config sync.json '{"regex": "1\\..*|latest"}'
"$HOIST" --upload-profile ecr -q sync --config sync.json >/dev/null

hub_mark=$(wc -l <"$hub_log")
ecr_mark=$(wc -l <"$ecr_log")
"$HOIST" --upload-profile ecr --progress json sync --config sync.json 2>progress.json | sort >again.out
expect_eq "$(cat again.out)" "3 images: 0 copied, 3 up to date, 0 to copy, 0 failed
up-to-date $hub/library/app:1.0.0 -> $ecr/mirror/library/app:1.0.0 $(layout_digest src old)
up-to-date $hub/library/app:1.1.0 -> $ecr/mirror/library/app:1.1.0 $(layout_digest src new)
up-to-date $hub/library/app:latest -> $ecr/mirror/library/app:latest $(layout_digest src new)" "output of the second sync"
expect_eq "$(jq -s '[.[] | select(.event == "blob")] | length' progress.json)" 0 "blob events of the second sync"
registry_requests "$hub_log" "$hub_mark" >hub.requests
registry_requests "$ecr_log" "$ecr_mark" >ecr.requests
if grep -v '^HEAD /v2/library/app/manifests/\|^GET /v2/library/app/tags/list\|^GET /v2/library/app/referrers/\|^GET /v2/library/app/manifests/sha256-\|^GET /v2/ ' hub.requests; then
    fail "the second sync asked the source for more than tags and digests"
fi
if grep -v '^HEAD /v2/mirror/library/app/manifests/\|^GET /v2/ ' ecr.requests; then
    fail "the second sync asked the destination for more than digests"
fi
expect_eq "$(grep -c '^HEAD /v2/library/app/manifests/' hub.requests)" 3 "manifest HEADs at the source"
expect_eq "$(grep -c '^HEAD /v2/mirror/library/app/manifests/' ecr.requests)" 3 "manifest HEADs at the destination"
