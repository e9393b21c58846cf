#!/bin/sh
cat /etc/motd
echo "GREETING=$GREETING, running in $(pwd)"
cat /app/built.txt
