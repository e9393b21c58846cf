# ECR repositories must exist before a push: a push to one that does not gets a message saying
# how to make it, and with --ecr-create-repos hoist creates each destination repository once,
# through CreateRepository (SigV4-signed, to tools/fake-ecr), before its first write; a repository
# that exists already is fine.
source "$(dirname "$0")/lib/common.bash"
source "$lib_dir/registry.bash"
source "$lib_dir/fake_ecr.bash"

make_umoci_image src app
digest=$(layout_digest src app)
start_registry none
source_registry=$HOIST_TEST_REGISTRY
"$HOIST" copy -q oci:src:app "docker://$source_registry/library/app:1" >/dev/null
"$HOIST" copy -q oci:src:app "docker://$source_registry/library/tool:1" >/dev/null
start_registry basic --user AWS
ecr=$HOIST_TEST_REGISTRY
export HOME=$work/home
mkdir -p "$HOME"

# fake-ecr as the registry too, one on which no repository exists, as ECR before CreateRepository.
start_fake_ecr "$registry_dir" --registry-front
front=${FAKE_ECR_URL#http://}
export HOIST_ECR_STAND_INS="$front=111111111111.dkr.ecr.us-east-1.amazonaws.com,$ecr=111111111111.dkr.ecr.us-east-1.amazonaws.com"
export AWS_ENDPOINT_URL=$FAKE_ECR_URL
expect_error 1 "hoist: copy oci:src:app docker://$front/team/app:1: manifest $digest: blob $(skopeo inspect --raw oci:src:app | jq -r .config.digest): repository team/app does not exist on $front: create it or enable create-on-push (hoist --ecr-create-repos creates it)" \
    "$HOIST" --jobs 1 copy -q oci:src:app "docker://$front/team/app:1"

# With --ecr-create-repos: one CreateRepository per destination repository, then the pushes.
jq -n --arg source "$source_registry" --arg ecr "$ecr" \
    '{destination: {registry: $ecr, prefix: "mirror"},
      repositories: [{source: ($source + "/library/app"), tags: ["1"]},
                     {source: ($source + "/library/tool"), tags: "all"}]}' >sync.json
"$HOIST" -q --ecr-create-repos sync --config sync.json | sort >sync.out
expect_eq "$(cat sync.out)" "2 images: 2 copied, 0 up to date, 0 to copy, 0 failed
copied $source_registry/library/app:1 -> $ecr/mirror/library/app:1 $digest
copied $source_registry/library/tool:1 -> $ecr/mirror/library/tool:1 $digest" "output of the sync"
created() {
    jq -r 'select(.action == "CreateRepository") | "\(.status) \(.error // "")"' "$FAKE_ECR_LOG" | sort | uniq -c |
        sed 's/^ *//'
}
expect_eq "$(created)" "2 200 " "CreateRepository calls of the first sync"
expect_eq "$(jq -r 'select(.action == "GetAuthorizationToken") | .status' "$FAKE_ECR_LOG" | sort | uniq -c | sed 's/^ *//')" \
    "2 200" "GetAuthorizationToken calls so far (one per run)"

# Again with a new tag of tool: only the repository written to is created, and that it exists
# already is fine; an image already there writes nothing, so creates nothing.
"$HOIST" copy -q oci:src:app "docker://$source_registry/library/tool:2" >/dev/null
"$HOIST" -q --ecr-create-repos sync --config sync.json | sort >again.out
expect_eq "$(cat again.out)" "3 images: 1 copied, 2 up to date, 0 to copy, 0 failed
copied $source_registry/library/tool:2 -> $ecr/mirror/library/tool:2 $digest
up-to-date $source_registry/library/app:1 -> $ecr/mirror/library/app:1 $digest
up-to-date $source_registry/library/tool:1 -> $ecr/mirror/library/tool:1 $digest" "output of the second sync"
expect_eq "$(created)" "2 200 
1 400 RepositoryAlreadyExistsException" "CreateRepository calls of both syncs"
