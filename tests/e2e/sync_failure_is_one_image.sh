# One image that cannot be synced (a listed tag the source does not have) fails alone: the other
# tags are mirrored, the failure is one line on stderr naming source, destination and the
# registry's answer, the summary counts it, and the exit status is 1.
source "$(dirname "$0")/lib/common.bash"
source "$lib_dir/registry.bash"
source "$lib_dir/sync.bash"

start_mirror_fixture 1 1000
write_sync_config sync.json '["1.0.0", "9.9.9", "latest"]'
status=0
"$HOIST" -q sync --config sync.json >out 2>err || status=$?
expect_eq "$status" 1 "exit status"
expect_eq "$(sort out)" "3 images: 2 copied, 0 up to date, 0 to copy, 1 failed
copied $hub/library/app:1.0.0 -> $ecr/mirror/library/app:1.0.0 $(layout_digest src old)
copied $hub/library/app:latest -> $ecr/mirror/library/app:latest $(layout_digest src new)" "stdout"
expect_eq "$(cat err)" "hoist: sync $hub/library/app:9.9.9 -> $ecr/mirror/library/app:9.9.9: manifest 9.9.9: 404 not found" \
    "stderr"
