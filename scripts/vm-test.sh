#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Run the VM scenarios in qemu-tests/tests (or those named) on every test
# kernel in NFSCOPE_KERNELS (default "main"; "main debug 6.12" adds the debug
# kernel, KASAN, lockdep, kmemleak, ..., and the 6.12 LTS line; see
# scripts/build-kernel.sh). Logs: out/vm/<kernel>/<name>/.
#
# On the main kernel each scenario gets a fresh VM, so one scenario's damage
# cannot hide in another's. The debug kernel takes minutes to boot under
# TCG, so its scenarios run in NFSCOPE_VM_JOBS VMs ("lanes"), one after the
# other in each (qemu-tests/suite.sh: the same checks per scenario, and the
# VM reset between them). It runs 5-10 times slower than the main kernel
# there, so it runs the scenarios named in NFSCOPE_DEBUG_TESTS (default: 20,
# which fires every probe of the module 50 times over load/unload, 40, 52
# and 55), the others on the main kernel only; the run says which.
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

# Absolute paths: the guest runs scenarios from elsewhere.
if (($#)); then mapfile -t tests < <(realpath -e "$@"); else tests=("$NFSCOPE_ROOT"/qemu-tests/tests/*.sh); fi
((${#tests[@]} == $# || $# == 0)) || die "no such scenario among: $*"
# One TCG guest keeps about one host core busy, whatever its vCPU count: run
# NFSCOPE_VM_JOBS guests at once (default 2 when the host has 2+ cores), each
# with NFSCOPE_VM_CPUS vCPUs (default: the host's cores split between them).
jobs=${NFSCOPE_VM_JOBS:-$(( $(nproc) >= 2 ? 2 : 1 ))}
export NFSCOPE_VM_CPUS=${NFSCOPE_VM_CPUS:-$(( $(nproc) / jobs > 0 ? $(nproc) / jobs : 1 ))}
# How much slower than the main kernel a flavour runs under TCG.
declare -A slowdown=([main]=1 [debug]=4 [6.12]=1)
results=$NFSCOPE_ROOT/out/vm/results
mkdir -p "$NFSCOPE_ROOT/out/vm"
: >"$results"

# timeout_of TEST: its "# vm-timeout: SECONDS" line, or the default.
timeout_of() { sed -n 's/^# vm-timeout: *\([0-9]\+\)$/\1/p' "$1" | grep . || echo "${NFSCOPE_VM_TIMEOUT:-600}"; }

# verdict FLAVOUR NAME OK START LOGDIR: one result line, and the log on failure.
verdict() {
	local flavour=$1 name=$2 ok=$3 start=$4 dir=$5
	if ((ok)); then
		echo "PASS $flavour/$name" >>"$results"
		log "PASS $flavour/$name ($((SECONDS - start)) s)"
	else
		echo "FAIL $flavour/$name" >>"$results"
		log "FAIL $flavour/$name ($((SECONDS - start)) s); logs: $dir"
	fi
}

# run_one FLAVOUR TEST: one scenario in its own VM.
run_one() {
	local flavour=$1 t=$2 name out start
	name=$(basename "$t" .sh)
	out=$NFSCOPE_ROOT/out/vm/$flavour/$name
	rm -rf "$out" && mkdir -p "$out"
	start=$SECONDS
	if KDIR=${kdirs[$flavour]} NFSCOPE_VM_TIMEOUT=$(( $(timeout_of "$t") * ${slowdown[$flavour]} )) \
		"$NFSCOPE_ROOT/scripts/vm-run.sh" "$out" "$t" >"$out.log" 2>&1; then
		verdict "$flavour" "$name" 1 "$start" "$out"
	else
		verdict "$flavour" "$name" 0 "$start" "$out"
		grep -E '^(FAIL|==)' "$out/console.log" | tail -n 5 >&2 || true
		tail -n 15 "$out.log" >&2
	fi
}

# run_lane FLAVOUR LANE TEST...: the scenarios one after the other in one VM.
run_lane() {
	local flavour=$1 lane=$2 out start total=600 t name ok vm_ok=1
	shift 2
	out=$NFSCOPE_ROOT/out/vm/$flavour/lane$lane
	rm -rf "$out" && mkdir -p "$out"
	for t in "$@"; do total=$((total + $(timeout_of "$t") * ${slowdown[$flavour]})); done
	start=$SECONDS
	KDIR=${kdirs[$flavour]} NFSCOPE_VM_TIMEOUT=$total NFSCOPE_SUITE_SLOWDOWN=${slowdown[$flavour]} \
		"$NFSCOPE_ROOT/scripts/vm-run.sh" "$out" "$NFSCOPE_ROOT/qemu-tests/suite.sh" "$@" >"$out.log" 2>&1 || vm_ok=0
	for t in "$@"; do
		name=$(basename "$t" .sh)
		ok=0
		[ "$(cat "$out/$name/rc" 2>/dev/null)" = 0 ] && ok=1
		verdict "$flavour" "$name" "$ok" "$start" "$out/$name"
		((ok)) || grep -A5 -E "^(FAIL $name|== suite: $name)" "$out/console.log" | grep -E '^(FAIL|==)' | tail -n 5 >&2 || true
	done
	if ((!vm_ok)); then
		echo "FAIL $flavour/lane$lane" >>"$results"
		log "FAIL $flavour/lane$lane: the VM failed; console: $out/console.log"
		tail -n 15 "$out.log" >&2
	fi
}

# The debug kernel's scenarios: those of the run named in NFSCOPE_DEBUG_TESTS
# (numbers), spread over the lanes in order.
debug_tests=()
for t in "${tests[@]}"; do
	for n in ${NFSCOPE_DEBUG_TESTS:-20 40 52 55}; do
		[[ $(basename "$t") == "$n"-* ]] && debug_tests+=("$t")
	done
done

# The work: the debug flavour's lanes first (the longest), then one job per
# main-kernel scenario; NFSCOPE_VM_JOBS of them at a time.
work=()
for f in "${flavours[@]}"; do
	[ "$f" = debug ] || continue
	not_run=()
	for t in "${tests[@]}"; do
		[[ " ${debug_tests[*]} " == *" $t "* ]] || not_run+=("$(basename "$t" .sh)")
	done
	((${#not_run[@]} == 0)) ||
		log "debug kernel: not running ${not_run[*]} there (main kernel only; NFSCOPE_DEBUG_TESTS selects)"
	for ((l = 0; l < jobs; l++)); do
		lane=()
		for ((i = l; i < ${#debug_tests[@]}; i += jobs)); do lane+=("${debug_tests[i]}"); done
		((${#lane[@]})) && work+=("run_lane $f $l ${lane[*]}")
	done
done
for f in "${flavours[@]}"; do
	[ "$f" = debug ] && continue
	for t in "${tests[@]}"; do work+=("run_one $f $t"); done
done
running=()
for w in "${work[@]}"; do
	while ((${#running[@]} >= jobs)); do
		wait -n || true
		alive=()
		for p in "${running[@]}"; do kill -0 "$p" 2>/dev/null && alive+=("$p"); done
		running=("${alive[@]}")
	done
	$w &
	running+=($!)
done
wait
passed=$(grep -c '^PASS' "$results" || true)
failed=$(grep -c '^FAIL' "$results" || true)
echo "vm: $passed passed, $failed failed"
((failed == 0)) || die "failed VM scenarios: $(grep '^FAIL' "$results" | cut -d' ' -f2 | paste -sd' ')"
