printf s3cret-value > "$work/secret-token"
