# `hoist ls` lists every tag of a repository, 1,050 of them too (more than the 1,000 a page holds
# where the registry paginates; Debian's registry 2.8 ignores n and last and sends them all at
# once, so following Link pages is not exercised here); `hoist delete` removes a manifest, its
# tags with it, after which a pull fails with the registry's 404.
source "$(dirname "$0")/lib/common.bash"
source "$lib_dir/registry.bash"

make_umoci_image src v1
want=$(layout_digest src v1)
start_registry token
r=$HOIST_TEST_REGISTRY
creds=(--creds "$HOIST_TEST_CREDS")

# A few tags.
"$HOIST" copy -q "${creds[@]}" oci:src:v1 "docker://$r/e2e/app:1" >/dev/null
"$HOIST" tag -q "${creds[@]}" "docker://$r/e2e/app:1" 2 >/dev/null
"$HOIST" tag -q "${creds[@]}" "docker://$r/e2e/app:1" latest >/dev/null
expect_eq "$("$HOIST" ls "${creds[@]}" "$r/e2e/app" | sort)" $'1\n2\nlatest' "tags of e2e/app"

# 1,050 tags: the same manifest PUT under each name, by one curl with one token.
"$HOIST" copy -q "${creds[@]}" oci:src:v1 "docker://$r/e2e/many:t0000" >/dev/null
token=$(registry_token repository:e2e/many:pull,push)
{
    echo 'request = "PUT"'
    echo "header = \"Authorization: Bearer $token\""
    echo 'header = "Content-Type: application/vnd.oci.image.manifest.v1+json"'
    echo "data-binary = \"@$work/src/blobs/sha256/${want#sha256:}\""
    echo 'write-out = "%{http_code}\n"'
    for ((i = 1; i < 1050; i++)); do
        printf 'url = "%s/v2/e2e/many/manifests/t%04d"\noutput = "/dev/null"\n' "$HOIST_TEST_REGISTRY_URL" "$i"
    done
} >tags.curl
expect_eq "$(curl -s --no-progress-meter -Z --parallel-max 4 -K tags.curl | sort | uniq -c | sed 's/^ *//')" "1049 201" "statuses of the tag PUTs"
"$HOIST" ls "${creds[@]}" "$r/e2e/many" >tags.txt
expect_eq "$(wc -l <tags.txt)" 1050 "number of tags listed"
expect_eq "$(sort tags.txt)" "$(for ((i = 0; i < 1050; i++)); do printf 't%04d\n' "$i"; done)" "the tags listed"

# delete: the manifest goes, with every tag naming it; pulls then get the registry's 404.
expect_eq "$("$HOIST" delete "${creds[@]}" "$r/e2e/app:2")" "Deleted $want" "delete"
expect_error 1 "hoist: pull $r/e2e/app:1: manifest 1: 404 not found" \
    "$HOIST" pull -q "${creds[@]}" "$r/e2e/app:1"
expect_error 1 "hoist: pull $r/e2e/app@$want: manifest $want: 404 not found" \
    "$HOIST" pull -q "${creds[@]}" "$r/e2e/app@$want"
expect_error 1 "hoist: delete $r/e2e/app:2: manifest 2: 404 not found" \
    "$HOIST" delete "${creds[@]}" "$r/e2e/app:2"
expect_eq "$("$HOIST" ls "${creds[@]}" "$r/e2e/app")" "" "tags of e2e/app after the delete"
expect_eq "$("$HOIST" ls "${creds[@]}" "$r/e2e/many" | wc -l)" 1050 "tags of another repository after the delete"
expect_error 1 "hoist: inspect local:$r/e2e/app:1: no such image: $r/e2e/app:1" "$HOIST" inspect "local:$r/e2e/app:1"
