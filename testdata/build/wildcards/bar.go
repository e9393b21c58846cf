bar-contents
