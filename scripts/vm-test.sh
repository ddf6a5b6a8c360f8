#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Run the VM scenarios in qemu-tests/tests (or those named), each in a fresh VM
# so one scenario's damage cannot hide in another's, on every test kernel
# flavour in NFSCOPE_KERNELS (default "main"; "main debug" adds the debug
# kernel: KASAN, lockdep, kmemleak, ...). Logs: out/vm/<flavour>/<name>/.
# Needs the CLI and, for each flavour, the module built against its kernel
# (scripts/build-module.sh; scripts/test.sh does both).
source "$(dirname "$0")/common.sh"

read -r -a flavours <<<"${NFSCOPE_KERNELS:-main}"
[ -x "$NFSCOPE_ROOT/target/release/nfscope" ] || die "CLI not built: cargo build --release"
declare -A kdirs
for f in "${flavours[@]}"; do
	kdirs[$f]=$("$NFSCOPE_ROOT/scripts/build-kernel.sh" "$f" | tail -n1)
	[ -f "$(module_path "${kdirs[$f]}")" ] ||
		die "no module for the $f kernel: KDIR=${kdirs[$f]} scripts/build-module.sh"
done

if (($#)); then tests=("$@"); else tests=("$NFSCOPE_ROOT"/qemu-tests/tests/*.sh); fi
# One TCG guest keeps about one host core busy, whatever its vCPU count: run
# NFSCOPE_VM_JOBS guests at once (default 2 when the host has 2+ cores), each
# with NFSCOPE_VM_CPUS vCPUs (default: the host's cores split between them).
jobs=${NFSCOPE_VM_JOBS:-$(( $(nproc) >= 2 ? 2 : 1 ))}
export NFSCOPE_VM_CPUS=${NFSCOPE_VM_CPUS:-$(( $(nproc) / jobs > 0 ? $(nproc) / jobs : 1 ))}
# The debug kernel runs everything several times slower under TCG.
declare -A slowdown=([main]=1 [debug]=3)

# run_one FLAVOUR TEST: one scenario in its own VM; prints its verdict line.
run_one() {
	local flavour=$1 t=$2 name out start timeout_s
	name=$(basename "$t" .sh)
	out=$NFSCOPE_ROOT/out/vm/$flavour/$name
	rm -rf "$out"
	mkdir -p "$out"
	start=$SECONDS
	# A scenario may ask for more time with a "# vm-timeout: SECONDS" line.
	timeout_s=$(sed -n 's/^# vm-timeout: *\([0-9]\+\)$/\1/p' "$t")
	timeout_s=$(( ${timeout_s:-${NFSCOPE_VM_TIMEOUT:-600}} * ${slowdown[$flavour]:-1} ))
	if KDIR=${kdirs[$flavour]} NFSCOPE_VM_TIMEOUT=$timeout_s \
		"$NFSCOPE_ROOT/scripts/vm-run.sh" "$out" "$t" >"$out.log" 2>&1; then
		log "PASS $flavour/$name ($((SECONDS - start)) s)"
	else
		log "FAIL $flavour/$name ($((SECONDS - start)) s); console: $out/console.log"
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
# Longest first (the debug flavour's, then the rest), so the pool ends together.
runs=()
for f in "${flavours[@]}"; do
	for t in "${tests[@]}"; do runs+=("$f $t"); done
done
if ((${#flavours[@]} > 1)); then
	mapfile -t runs < <(printf '%s\n' "${runs[@]}" | awk '{print ($1 == "debug" ? 0 : 1), $0}' | sort -s -k1,1n | cut -d' ' -f2-)
fi
for run in "${runs[@]}"; do
	((${#running[@]} < jobs)) || reap
	read -r f t <<<"$run"
	run_one "$f" "$t" &
	running+=($!)
	names+=("$f/$(basename "$t" .sh)")
done
while ((${#running[@]})); do reap; done
echo "vm: $passed passed, $failed failed"
((failed == 0)) || die "failed VM scenarios: ${failures[*]}"
