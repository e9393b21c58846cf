# ECR login without the aws CLI: a registry standing in for an ECR host (HOIST_ECR_STAND_INS) is
# pushed to with the password that a SigV4-signed GetAuthorizationToken to tools/fake-ecr
# returns, which checks the signature with the secret key and session token. The AWS keys come
# from the environment or from ~/.aws/credentials' AWS_PROFILE; --aws-endpoint wins over
# AWS_ENDPOINT_URL; the token is fetched once per run; a wrong secret gets AWS's refusal; no
# secret, token or password is ever printed.
source "$(dirname "$0")/lib/common.bash"
source "$lib_dir/registry.bash"
source "$lib_dir/fake_ecr.bash"

make_umoci_image src app
digest=$(layout_digest src app)
start_registry basic --user AWS
start_fake_ecr "$registry_dir"
ecr_host=111111111111.dkr.ecr.us-east-1.amazonaws.com
export HOIST_ECR_STAND_INS=$HOIST_TEST_REGISTRY=$ecr_host
export AWS_ENDPOINT_URL=$FAKE_ECR_URL
export HOME=$work/home  # no auth file anywhere: the password can only come from ECR's API
mkdir -p "$HOME"
remote=$HOIST_TEST_REGISTRY/app
secrets=("$AWS_SECRET_ACCESS_KEY" "$AWS_SESSION_TOKEN" "$HOIST_TEST_PASSWORD")

# tokens_fetched: GetAuthorizationToken calls answered 200 so far.
tokens_fetched() {
    jq -s '[.[] | select(.action == "GetAuthorizationToken" and .status == 200)] | length' "$FAKE_ECR_LOG"
}

# Keys from the environment; one token for the whole push.
expect_eq "$("$HOIST" copy -q oci:src:app "docker://$remote:1" 2>"$work/err")" "Copied $digest" "copy to ECR"
expect_eq "$(tokens_fetched)" 1 "tokens fetched by one push"
expect_eq "$(jq -sc '[.[] | select(.action == "GetAuthorizationToken")][0].signed_headers' "$FAKE_ECR_LOG")" \
    '["content-type","host","x-amz-date","x-amz-security-token","x-amz-target"]' "headers signed"
expect_eq "$(skopeo inspect --tls-verify=false --creds "AWS:$HOIST_TEST_PASSWORD" "docker://$remote:1" | jq -r .Digest)" \
    "$digest" "digest in the registry"

# --aws-endpoint wins over AWS_ENDPOINT_URL (here a port where nothing listens).
expect_eq "$(AWS_ENDPOINT_URL=http://127.0.0.1:9 "$HOIST" --aws-endpoint "$FAKE_ECR_URL" copy -q oci:src:app \
    "docker://$remote:2" 2>>"$work/err")" "Copied $digest" "copy with --aws-endpoint"

# Keys from the shared credentials file's profile.
mkdir -p "$HOME/.aws"
printf '[default]\naws_access_key_id = AKIDOTHER\naws_secret_access_key = other\n\n[ci]\naws_access_key_id = %s\naws_secret_access_key = %s\naws_session_token = %s\n' \
    "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" "$AWS_SESSION_TOKEN" >"$HOME/.aws/credentials"
expect_eq "$(env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN AWS_PROFILE=ci \
    "$HOIST" copy -q oci:src:app "docker://$remote:3" 2>>"$work/err")" "Copied $digest" "copy with AWS_PROFILE=ci"
expect_eq "$(tokens_fetched)" 3 "tokens fetched by three pushes"

# A wrong secret: AWS's refusal, and the push does not happen.
expect_error 1 "hoist: copy oci:src:app docker://$remote:4: manifest $digest: ECR GetAuthorizationToken at $FAKE_ECR_URL: 403 InvalidSignatureException: The request signature we calculated does not match the signature you provided." \
    env AWS_SECRET_ACCESS_KEY=wrong-secret "$HOIST" copy -q oci:src:app "docker://$remote:4"
cat "$work/stderr" >>"$work/err"
# An unknown key.
expect_error 1 "hoist: copy oci:src:app docker://$remote:4: manifest $digest: ECR GetAuthorizationToken at $FAKE_ECR_URL: 403 UnrecognizedClientException: The security token included in the request is invalid." \
    env AWS_ACCESS_KEY_ID=AKIDUNKNOWN "$HOIST" copy -q oci:src:app "docker://$remote:4"
cat "$work/stderr" >>"$work/err"
# No keys at all.
printf "[other]\n" >"$work/empty-credentials"
expect_error 1 "hoist: copy oci:src:app docker://$remote:4: manifest $digest: ECR GetAuthorizationToken at $FAKE_ECR_URL: no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE (no profile \"default\" in $work/empty-credentials)" \
    env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY AWS_SHARED_CREDENTIALS_FILE="$work/empty-credentials" \
    "$HOIST" copy -q oci:src:app "docker://$remote:4" </dev/null
cat "$work/stderr" >>"$work/err"

for secret in "${secrets[@]}"; do
    ! grep -qF -- "$secret" "$work/err" "$work/stdout" || fail "a secret was printed"
    ! grep -qF -- "$secret" "$FAKE_ECR_LOG" || fail "a secret reached fake-ecr's log"
done
