#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Where the module's cost without drops goes (not a test): the drops
# benchmark's TCP stream (a to b, b's input chain has a `ct state` rule) and
# 1-byte round trips, with the module unloaded, then loaded with its parts
# switched on one by one (all off; hook counters; the drop probe; the
# attribution probes; a listener): the cost of each piece is the step from
# the line before (within one boot: the baseline moves between boots).
# Under -icount "ns" are guest instructions. Output in
# OUTDIR/profile-stream.txt. Run with
#   NFSCOPE_VM_CPUS=1 NFSCOPE_VM_QEMU_OPTS='-icount shift=0,sleep=off' \
#     scripts/vm-run.sh out/profile-stream qemu-tests/manual/profile-stream.sh "$PWD/out/bench/netbench"
# after the module, the CLI and netbench are built (scripts/bench-drops.sh
# builds all three).
source "$NFSCOPE_ROOT/qemu-tests/lib.sh"
NB=${1:?usage: profile-stream.sh NETBENCH}
N_RR=${N_RR:-20000}
STREAM_MB=${STREAM_MB:-200}
bench_pair
out=$NFSCOPE_OUT
measure() {
	local mode=$1
	printf '%s\tstream %s MB/s\tround trip %s ns\n' "$mode" \
		"$(nb_pair stream a b 198.18.1.2 "$STREAM_MB")" "$(nb_pair pingpong a b 198.18.1.2 "$N_RR")"
}
{
measure unloaded
load_module
"$NFSCOPE_BIN" trace disable module:hooks >/dev/null
"$NFSCOPE_BIN" trace disable module:drop >/dev/null
ip netns exec a "$NFSCOPE_BIN" config --hooks off >/dev/null
ip netns exec b "$NFSCOPE_BIN" config --hooks off >/dev/null
measure loaded-all-off
ip netns exec a "$NFSCOPE_BIN" config --hooks on >/dev/null
ip netns exec b "$NFSCOPE_BIN" config --hooks on >/dev/null
measure hook-counters
"$NFSCOPE_BIN" trace enable module:drop >/dev/null
measure drop-probe
"$NFSCOPE_BIN" trace enable module:hooks >/dev/null
measure attribution
"$NFSCOPE_BIN" drops watch --json >/dev/null 2>"$out/listener.err" &
listener=$!
sleep 2
measure listener
kill -INT $listener
wait $listener || true
} >"$out/profile-stream.txt" 2>&1
unload_module
