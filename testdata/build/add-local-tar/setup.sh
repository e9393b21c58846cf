# payload.tar.gz: ./bin/tool 0755, ./etc/conf 0640 1001:1002, ./data/ 0750 1001:1002,
# ./data/link -> ../etc/conf; plain.tar: hello.txt (no ./ entry).
mkdir -p payload/bin payload/etc payload/data plain
printf '#!/bin/sh\necho tool\n' >payload/bin/tool
echo "conf=1" >payload/etc/conf
ln -s ../etc/conf payload/data/link
chmod 0755 payload payload/bin payload/etc payload/bin/tool
chmod 0640 payload/etc/conf
chmod 0750 payload/data
chown 1001:1002 payload/etc/conf payload/data
tar --sort=name --numeric-owner -C payload -czf payload.tar.gz .
echo "hello from a tar" >plain/hello.txt
chmod 0644 plain/hello.txt
tar --numeric-owner -C plain -cf plain.tar hello.txt
rm -rf payload plain
