"$HOIST" build -t "$image" -f elsewhere/app.Dockerfile context
