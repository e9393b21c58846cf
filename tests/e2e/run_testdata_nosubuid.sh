# Every case under testdata/run/ (RUN: whiteouts, links, special files and bits, owners, USER,
# WORKDIR, SHELL, heredocs, mounts, --network none) built with hoist running as a user without a subordinate id range,
# checked after umoci unpack and with hoist run (lib/run_cases.bash).
source "$(dirname "$0")/lib/common.bash"
source "$lib_dir/build.bash"
run_mode=nosubuid
source "$lib_dir/run_cases.bash"
