#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Foundation: SET_CONFIG needs CAP_NET_ADMIN (EPERM without it, status still
# readable); malformed SET_CONFIG requests get EINVAL with an extack message;
# none of them changes the configuration.
source "$NFSCOPE_ROOT/qemu-tests/lib.sh"
require ip setpriv capsh

make_ns b
load_module
enabled() { json_field "$(status_json b)" hooks_enabled; }
[ "$(enabled)" = True ] || fail "hooks not enabled at start"

step "an unprivileged user can read status but not change config"
nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all)
out=$(ip netns exec b "${nobody[@]}" "$NFSCOPE_BIN" status --json) || fail "unprivileged status failed: $out"
[ "$(json_field "$out" hooks_enabled)" = True ] || fail "unprivileged status: $out"
out=$(ip netns exec b "${nobody[@]}" "$NFSCOPE_BIN" config --hooks off 2>&1) && fail "unprivileged config succeeded"
grep -q "needs CAP_NET_ADMIN" <<<"$out" || fail "unprivileged config error does not name CAP_NET_ADMIN: $out"
r=$(ip netns exec b "${nobody[@]}" "$PY" "$NFSCOPE_ROOT/qemu-tests/lib/genl.py" 2 4:u8:0)
[ "$(json_field "$r" errno)" = 1 ] || fail "unprivileged raw SET_CONFIG: expected EPERM (1), got $r"

step "root without CAP_NET_ADMIN is refused too"
out=$(ip netns exec b capsh --drop=cap_net_admin -- -c "$NFSCOPE_BIN config --hooks off" 2>&1) &&
	fail "config without CAP_NET_ADMIN succeeded"
grep -q "needs CAP_NET_ADMIN" <<<"$out" || fail "error without CAP_NET_ADMIN: $out"
[ "$(enabled)" = True ] || fail "a refused request changed the configuration"

step "malformed SET_CONFIG requests get EINVAL with a message"
check_einval() {
	local r
	r=$(genl b 2 "$@")
	[ "$(json_field "$r" errno)" = 22 ] || fail "SET_CONFIG $*: expected EINVAL (22), got $r"
	[ "$(json_field "$r" extack)" != None ] || fail "SET_CONFIG $*: no extack message: $r"
	echo "  $* -> $r"
}
check_einval 4:u8:7             # out of range (0 or 1)
check_einval 4:u32:0            # wrong length for a u8
check_einval 4:raw-hex:         # empty payload
check_einval 200:u8:1           # unknown attribute type
check_einval 3:u32:1            # read-only attribute (netns inode)
check_einval                    # no attribute at all
[ "$(enabled)" = True ] || fail "a malformed request changed the configuration"

step "a well-formed request from root works"
r=$(genl b 2 4:u8:0)
[ "$(json_field "$r" errno)" = 0 ] || fail "valid SET_CONFIG failed: $r"
[ "$(enabled)" = False ] || fail "valid SET_CONFIG did not disable the hooks"
unload_module
echo "PASS $TEST_NAME"
