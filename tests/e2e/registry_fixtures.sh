# The registry fixtures work, with real peers: tools/registry in its three auth modes, the token
# server (tokens that really expire, the OAuth2 POST form) and the redirector (blob GETs sent to
# another host, where curl and skopeo arrive without Authorization).
source "$(dirname "$0")/lib/common.bash"
source "$lib_dir/registry.bash"

# A client's auth file in the environment must not reach the registry (it reads REGISTRY_*).
export REGISTRY_AUTH_FILE=$work/auth.json
echo '{"auths": {}}' >"$REGISTRY_AUTH_FILE"

status() {  # status CURL_ARGS...: the HTTP status of a request
    curl -s -o /dev/null -w '%{http_code}' "$@"
}

blobs_log() {  # the redirector's requests on 127.0.0.2: [method, had Authorization, status]
    jq -c 'select(.listener == "blobs") | [.method, .authorization, .status]' "$HOIST_TEST_REDIRECTOR_LOG"
}

make_umoci_image src v1
want=$(layout_digest src v1)
layer=$(skopeo inspect --raw oci:src:v1 | jq -r '.layers[0].digest')

for mode in none basic token; do
    start_registry "$mode" --redirector
    src_creds=() dest_creds=()
    if [[ $mode != none ]]; then
        src_creds=(--src-creds "$HOIST_TEST_CREDS")
        dest_creds=(--dest-creds "$HOIST_TEST_CREDS")
    fi
    url=$HOIST_TEST_REGISTRY_URL

    # skopeo pushes and pulls back the same image.
    skopeo copy -q --dest-tls-verify=false "${dest_creds[@]}" oci:src:v1 "docker://$HOIST_TEST_REGISTRY/fixtures/app:v1"
    skopeo copy -q --src-tls-verify=false "${src_creds[@]}" "docker://$HOIST_TEST_REGISTRY/fixtures/app:v1" "oci:back-$mode:v1"
    expect_eq "$(layout_digest "back-$mode" v1)" "$want" "$mode: manifest digest after the round trip"
    expect_blobs_intact "back-$mode"

    # Anonymous access: allowed without auth, refused otherwise; wrong credentials are refused.
    manifest=$url/v2/fixtures/app/manifests/v1
    accept='Accept: application/vnd.oci.image.manifest.v1+json'
    if [[ $mode == none ]]; then
        expect_eq "$(status -H "$accept" "$manifest")" 200 "none: anonymous manifest GET"
    else
        expect_eq "$(status "$url/v2/")" 401 "$mode: anonymous GET /v2/"
        expect_eq "$(status -H "$accept" "$manifest")" 401 "$mode: anonymous manifest GET"
        expect_eq "$(curl -s -o /dev/null -D - "$url/v2/" | grep -i '^www-authenticate:' | cut -d' ' -f2)" \
            "$([[ $mode == basic ]] && echo Basic || echo Bearer)" "$mode: challenge scheme"
    fi
    if [[ $mode == basic ]]; then
        expect_eq "$(status -u "$HOIST_TEST_CREDS" -H "$accept" "$manifest")" 200 "basic: manifest GET"
        expect_eq "$(status -u "$HOIST_TEST_USER:wrong" "$url/v2/")" 401 "basic: wrong password"
    fi
    if [[ $mode == token ]]; then
        realm="$HOIST_TEST_TOKEN_REALM?service=$HOIST_TEST_TOKEN_SERVICE"
        expect_eq "$(status "$realm&scope=repository:fixtures/app:pull")" 401 "token: anonymous token request"
        expect_eq "$(status -u "$HOIST_TEST_USER:wrong" "$realm&scope=repository:fixtures/app:pull")" 401 \
            "token: token request with a wrong password"
        token=$(registry_token repository:fixtures/app:pull)
        expect_eq "$(status -H "Authorization: Bearer $token" -H "$accept" "$manifest")" 200 "token: manifest GET"
        expect_eq "$(status -X DELETE -H "Authorization: Bearer $token" "$manifest")" 401 "token: DELETE with a pull token"
        # Tokens grant what was asked within pull, push and delete.
        expect_eq "$(curl -s -u "$HOIST_TEST_CREDS" "$realm&scope=repository:a/b:pull,push,delete,bogus&scope=repository:c:pull" |
            jq -r .scope)" "repository:a/b:pull,push,delete repository:c:pull" "token: granted scope"
        # skopeo asked with credentials, and every token request was logged without them.
        expect_eq "$(jq -s '[.[] | select(.subject == "'"$HOIST_TEST_USER"'" and .status == 200)] | length > 0' \
            "$HOIST_TEST_TOKEN_LOG")" true "token: skopeo's authenticated token requests"
        # The OAuth2 form: a password grant gives a refresh token, which gives a working token.
        refresh=$(curl -sf -d grant_type=password -d client_id=hoist-test -d access_type=offline \
            -d "service=$HOIST_TEST_TOKEN_SERVICE" -d "username=$HOIST_TEST_USER" \
            --data-urlencode "password=$HOIST_TEST_PASSWORD" "$HOIST_TEST_TOKEN_REALM" | jq -r .refresh_token)
        token=$(curl -sf -d grant_type=refresh_token -d client_id=hoist-test -d "service=$HOIST_TEST_TOKEN_SERVICE" \
            -d "scope=repository:fixtures/app:pull" --data-urlencode "refresh_token=$refresh" \
            "$HOIST_TEST_TOKEN_REALM" | jq -r .access_token)
        expect_eq "$(status -H "Authorization: Bearer $token" -H "$accept" "$manifest")" 200 "token: refreshed token"
        expect_eq "$(status -d grant_type=refresh_token -d client_id=hoist-test -d "service=$HOIST_TEST_TOKEN_SERVICE" \
            -d refresh_token=forged "$HOIST_TEST_TOKEN_REALM")" 400 "token: forged refresh token"
    fi

    # The redirector: a blob GET is sent to 127.0.0.2; curl --location does not carry the
    # credentials there (--location-trusted does: the log tells them apart), the blob is intact.
    blob=http://$HOIST_TEST_REDIRECTOR/v2/fixtures/app/blobs/$layer
    auth=()
    if [[ $mode == basic ]]; then
        auth=(-u "$HOIST_TEST_CREDS")
    elif [[ $mode == token ]]; then
        auth=(-H "Authorization: Bearer $(registry_token repository:fixtures/app:pull)")
    fi
    expect_eq "$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "${auth[@]}" "$blob")" \
        "307 http://$HOIST_TEST_REDIRECTOR_BLOBS/v2/fixtures/app/blobs/$layer" "$mode: redirect of a blob GET"
    expect_eq "sha256:$(curl -sf --location "${auth[@]}" "$blob" | sha256sum | cut -d' ' -f1)" "$layer" \
        "$mode: blob through the redirect"
    expect_eq "$(blobs_log)" '["GET",false,200]' "$mode: request on the other host"
    if [[ $mode != none ]]; then
        curl -sf --location-trusted "${auth[@]}" "$blob" >/dev/null
        expect_eq "$(blobs_log | tail -n 1)" '["GET",true,200]' "$mode: request with --location-trusted"
    fi
    # skopeo pulls through the redirector too (Go drops Authorization on the other host).
    : >"$HOIST_TEST_REDIRECTOR_LOG"
    skopeo copy -q --src-tls-verify=false "${src_creds[@]}" "docker://$HOIST_TEST_REDIRECTOR/fixtures/app:v1" \
        "oci:redirected-$mode:v1"
    expect_eq "$(layout_digest "redirected-$mode" v1)" "$want" "$mode: manifest digest through the redirector"
    expect_eq "$(blobs_log | sort -u)" '["GET",false,200]' "$mode: skopeo's blob GETs on the other host"

    # No credential in any log.
    if [[ $mode != none ]] && grep -rqF -e "$HOIST_TEST_PASSWORD" -e "$(printf %s "$HOIST_TEST_CREDS" | base64)" \
        "$registry_dir"/*.log; then
        fail "$mode: a credential in a log"
    fi
done

# A token works for --token-ttl seconds, then the registry refuses it (its 60 s leeway on exp
# is taken into account by the token server).
start_registry token --token-ttl 2
token=$(curl -sf -u "$HOIST_TEST_CREDS" "$HOIST_TEST_TOKEN_REALM?service=$HOIST_TEST_TOKEN_SERVICE&scope=repository:x:pull")
expect_eq "$(jq -r .expires_in <<<"$token")" 2 "expires_in"
token=$(jq -r .token <<<"$token")
expect_eq "$(status -H "Authorization: Bearer $token" "$HOIST_TEST_REGISTRY_URL/v2/")" 200 "a fresh token"
sleep 3.5
expect_eq "$(status -H "Authorization: Bearer $token" "$HOIST_TEST_REGISTRY_URL/v2/")" 401 "a token after its ttl"
grep -q 'token not to be used after' "$HOIST_TEST_REGISTRY_LOG" || fail "the registry's reason for the 401"

# stop ends everything it started.
pid=$HOIST_TEST_REGISTRY_PID
stop_registry
[[ $(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) =~ ^Z?$ ]] || fail "the registry still runs after stop"
expect_eq "$(status "$HOIST_TEST_REGISTRY_URL/v2/")" 000 "the registry's port after stop"
