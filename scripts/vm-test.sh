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
passed=0 failed=0 failures=()
for t in "${tests[@]}"; do
	name=$(basename "$t" .sh)
	out=$NFSCOPE_ROOT/out/vm/$name
	rm -rf "$out"
	start=$SECONDS
	# A scenario may ask for more time with a "# vm-timeout: SECONDS" line.
	timeout_s=$(sed -n 's/^# vm-timeout: *\([0-9]\+\)$/\1/p' "$t")
	if NFSCOPE_VM_TIMEOUT=${timeout_s:-${NFSCOPE_VM_TIMEOUT:-600}} \
		"$NFSCOPE_ROOT/scripts/vm-run.sh" "$out" "$t" >"$out.log" 2>&1; then
		passed=$((passed + 1))
		log "PASS $name ($((SECONDS - start)) s)"
	else
		failed=$((failed + 1))
		failures+=("$name")
		log "FAIL $name ($((SECONDS - start)) s); console: $out/console.log"
		grep -E '^(FAIL|==)' "$out/console.log" | tail -n 5 >&2 || true
		tail -n 15 "$out.log" >&2
	fi
done
echo "vm: $passed passed, $failed failed"
((failed == 0)) || die "failed VM scenarios: ${failures[*]}"
