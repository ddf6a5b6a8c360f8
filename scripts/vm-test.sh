#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Run the VM scenarios in qemu-tests/tests (or those named), each in a fresh VM
# so one scenario's damage cannot hide in another's. Logs: out/vm/<name>/.
# Needs the module and the CLI built (scripts/test.sh does that).
source "$(dirname "$0")/common.sh"

KDIR=${KDIR:-$("$NFSCOPE_ROOT/scripts/build-kernel.sh" | tail -n1)}
export KDIR
[ -f "$NFSCOPE_ROOT/kmod/nfscope.ko" ] || die "kmod/nfscope.ko not built: run scripts/build-module.sh"
[ -x "$NFSCOPE_ROOT/target/release/nfscope" ] || die "CLI not built: cargo build --release"

if (($#)); then tests=("$@"); else tests=("$NFSCOPE_ROOT"/qemu-tests/tests/*.sh); fi
mkdir -p "$NFSCOPE_ROOT/out/vm"
# One TCG guest keeps about one host core busy, whatever its vCPU count: run
# NFSCOPE_VM_JOBS guests at once (default 2 when the host has 2+ cores), each
# with NFSCOPE_VM_CPUS vCPUs (default: the host's cores split between them).
jobs=${NFSCOPE_VM_JOBS:-$(( $(nproc) >= 2 ? 2 : 1 ))}
export NFSCOPE_VM_CPUS=${NFSCOPE_VM_CPUS:-$(( $(nproc) / jobs > 0 ? $(nproc) / jobs : 1 ))}

# run_one TEST: one scenario in its own VM; prints its verdict line.
run_one() {
	local t=$1 name out start timeout_s
	name=$(basename "$t" .sh)
	out=$NFSCOPE_ROOT/out/vm/$name
	rm -rf "$out"
	start=$SECONDS
	# A scenario may ask for more time with a "# vm-timeout: SECONDS" line.
	timeout_s=$(sed -n 's/^# vm-timeout: *\([0-9]\+\)$/\1/p' "$t")
	if NFSCOPE_VM_TIMEOUT=${timeout_s:-${NFSCOPE_VM_TIMEOUT:-600}} \
		"$NFSCOPE_ROOT/scripts/vm-run.sh" "$out" "$t" >"$out.log" 2>&1; then
		log "PASS $name ($((SECONDS - start)) s)"
	else
		log "FAIL $name ($((SECONDS - start)) s); console: $out/console.log"
		grep -E '^(FAIL|==)' "$out/console.log" | tail -n 5 >&2 || true
		tail -n 15 "$out.log" >&2
		return 1
	fi
}

passed=0 failed=0 failures=() running=() names=()
# reap: wait for the oldest running scenario and count its verdict.
reap() {
	if wait "${running[0]}"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		failures+=("${names[0]}")
	fi
	running=("${running[@]:1}")
	names=("${names[@]:1}")
}
for t in "${tests[@]}"; do
	((${#running[@]} < jobs)) || reap
	run_one "$t" &
	running+=($!)
	names+=("$(basename "$t" .sh)")
done
while ((${#running[@]})); do reap; done
echo "vm: $passed passed, $failed failed"
((failed == 0)) || die "failed VM scenarios: ${failures[*]}"
