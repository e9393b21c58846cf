foo-contents
