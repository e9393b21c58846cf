# Every case under testdata/run/ (RUN: whiteouts, links, special files and bits, owners, USER,
# WORKDIR, SHELL, heredocs, mounts, --network none) built with hoist running as root,
# checked after umoci unpack and with hoist run (lib/run_cases.bash).
source "$(dirname "$0")/lib/common.bash"
source "$lib_dir/build.bash"
run_mode=root
source "$lib_dir/run_cases.bash"
