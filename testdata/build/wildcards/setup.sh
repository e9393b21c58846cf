chmod 0700 sub sub/dir1 sub/dir1/dir2
