chmod 0755 bin/tool
