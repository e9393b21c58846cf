# DESIGN.md's workflow 3: an image with a numeric build tag is pushed to "Docker Hub" (a
# token-auth registry), then copied from there to ECR in two AWS accounts (two basic-auth
# registries standing in for them, each logged in through its own tools/fake-ecr with its own
# AWS profile) without rebuilding: registry to registry, the same digest everywhere.
source "$(dirname "$0")/lib/common.bash"
source "$lib_dir/registry.bash"
source "$lib_dir/fake_ecr.bash"

build=20260417
make_umoci_image src app
"$HOIST" copy -q oci:src:app "local:team/app:$build" >/dev/null
digest=$("$HOIST" digest "local:team/app:$build")

start_registry token
hub=$HOIST_TEST_REGISTRY
# Docker Hub's credentials in the auth file; none there for ECR.
jq -n --arg hub "$hub" --arg auth "$(printf %s "$HOIST_TEST_CREDS" | base64 -w0)" '{auths: {($hub): {auth: $auth}}}' \
    >auth.json
"$HOIST" --authfile auth.json push -q "team/app:$build" "$hub/team/app:$build" >/dev/null

export HOME=$work/home
mkdir -p "$HOME/.aws"
declare -A ecr endpoint fake password
for account in 111111111111 222222222222; do
    start_registry basic --user AWS
    ecr[$account]=$HOIST_TEST_REGISTRY password[$account]=$HOIST_TEST_PASSWORD
    start_fake_ecr "$registry_dir" --account "$account" --region eu-west-1
    endpoint[$account]=$FAKE_ECR_URL fake[$account]=$FAKE_ECR_LOG
    printf '[%s]\naws_access_key_id = %s\naws_secret_access_key = %s\naws_session_token = %s\n\n' \
        "$account" "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" "$AWS_SESSION_TOKEN" >>"$HOME/.aws/credentials"
    HOIST_ECR_STAND_INS+="${HOIST_ECR_STAND_INS:+,}$HOIST_TEST_REGISTRY=$account.dkr.ecr.eu-west-1.amazonaws.com"
done
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
export HOIST_ECR_STAND_INS

for account in 111111111111 222222222222; do
    expect_eq "$(AWS_PROFILE=$account "$HOIST" -q --authfile auth.json --aws-endpoint "${endpoint[$account]}" \
        --ecr-create-repos copy "docker://$hub/team/app:$build" "docker://${ecr[$account]}/team/app:$build")" \
        "Copied $digest" "copy to account $account"
    expect_eq "$(jq -r 'select(.action != "registry") | "\(.action) \(.status)"' "${fake[$account]}")" \
        "CreateRepository 200
GetAuthorizationToken 200" "account $account's API calls"
    expect_eq "$(skopeo inspect --tls-verify=false --creds "AWS:${password[$account]}" \
        "docker://${ecr[$account]}/team/app:$build" | jq -r .Digest)" "$digest" "digest in account $account"
done
expect_eq "$(skopeo inspect --tls-verify=false --authfile auth.json "docker://$hub/team/app:$build" | jq -r .Digest)" \
    "$digest" "digest on Docker Hub"
