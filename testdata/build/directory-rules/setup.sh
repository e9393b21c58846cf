chmod 0700 dir
chmod 0750 dir/sub
ln -s x.txt dir/link
