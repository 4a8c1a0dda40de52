#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# NVMe/TCP benchmark, two parts, each comparing this tree's pnvme_perf with
# a baseline build of an earlier commit (BENCH_TCP_BASELINE, default: the
# code before the TCP speed work) measured in the same run, point by point:
#
#  fast  the in-tree benchmark target (pnvme_test_target --bench: null
#        storage, buffered and polled) on the host's loopback, target on
#        core 0, initiator on core 1; 4 KiB random read and write at QD1,
#        QD32 and QD128, and four connections in one thread. Prints IOPS,
#        mean and p99 latency, system calls per I/O as the qpairs count
#        them, and the share of time the target's I/O connections waited
#        for the initiator (the target spins, so its CPU use says nothing;
#        time it waited is time the initiator was the limit). Then the
#        library's own instructions per I/O (user space, callgrind, this
#        tree only: perf runs on plain memory, --no-hugepages).
#  guest the Linux kernel's target (nvmet-tcp on memory-backed null_blk) in
#        the rig guest through QEMU's loopback port forward: the real-peer
#        figures.
#
# Writes both tables to docs/performance.md, each with a latency plot of
# every point (this tree's run in the last round: pnvme_perf --latency-csv,
# drawn into docs/img/tcp-PART-RW-qdN[-xQPAIRS].svg).
#
#   test/bench/tcp.sh [fast] [guest]   (through scripts/bench.sh tcp; both when none)
#   BENCH_SECONDS=N                    seconds per run (default 4)
#   BENCH_ROUNDS=N                     rounds (default 5): each runs every
#                                      point with both builds, one after the
#                                      other. Figures are medians over the
#                                      rounds; the ratio is the median of the
#                                      rounds' ratios, since this machine's
#                                      speed drifts between rounds far more
#                                      than between two runs in a row.
set -euo pipefail
cd "$(dirname "$0")/../.."

SECS=${BENCH_SECONDS:-4}
ROUNDS=${BENCH_ROUNDS:-5}
BASELINE=${BENCH_TCP_BASELINE:-f8cd868}
NQN=nqn.2026-11.io.pnvme:bench
GUEST_PORT=${BENCH_TCP_PORT:-24421}
job=$(pwd)/.cache/bench/tcp
parts=("$@")
((${#parts[@]})) || parts=(fast guest)

mkdir -p "$job"
make -j2 >/dev/null
HUGEMEM=256 scripts/setup.sh config >/dev/null

# The baseline's perf, built once per commit in its own work tree.
base_tree=$(pwd)/.cache/bench/baseline-$BASELINE
if [ ! -x "$base_tree/build/bin/pnvme_perf" ]; then
	rm -rf "$base_tree"
	git worktree prune
	git worktree add -f --detach "$base_tree" "$BASELINE" >/dev/null 2>&1
	(cd "$base_tree" && ./configure >/dev/null && make -j2 apps >/dev/null)
fi
declare -A PERF=([current]=build/bin/pnvme_perf [baseline]=$base_tree/build/bin/pnvme_perf)

# run_point PART BUILD RW QD QPAIRS PORT TARGET_LOG [perf args...]
# (TARGET_LOG: the fast target's --verbose log, or -). This tree's runs
# also write their latency histogram to latency-PART-RW-qdQD[-xQPAIRS].csv,
# each round over the last.
run_point() {
	local part=$1 build=$2 rw=$3 qd=$4 qpairs=$5 port=$6 tlog=$7
	shift 7
	local out=$job/$part.$build.$rw.$qd.$qpairs lines=0 rc=0 point=$rw-qd$qd
	((qpairs == 1)) || point+=-x$qpairs
	[ "$build" = baseline ] || set -- "$@" --latency-csv "$job/latency-$part-$point.csv"
	echo "# $part round $round: $build pnvme_perf $rw QD$qd x$qpairs qpairs $*" >&2
	[ "$tlog" = - ] || lines=$(wc -l <"$tlog")
	taskset -c 1 "${PERF[$build]}" \
		-r "trtype:TCP adrfam:IPv4 traddr:127.0.0.1 trsvcid:$port subnqn:$NQN" \
		-c 0x2 -q "$qd" -o 4096 -w "$rw" -t "$SECS" -P "$qpairs" -L --json "$@" \
		>"$out.json" 2>"$out.err" || rc=$?
	if [ "$tlog" = - ]; then
		: >"$out.target"
	else
		sleep 0.5 # the target logs each connection as it closes
		tail -n +"$((lines + 1))" "$tlog" >"$out.target"
	fi
	python3 - "$part" "$build" "$rw" "$qd" "$qpairs" "$out.json" "$rc" "$out.target" \
		"$out.err" "$round" <<'PY' >>"$job/results.jsonl"
import json, re, sys
part, build, rw, qd, qpairs, path, rc, tlog, err, rnd = sys.argv[1:]
row = {"part": part, "build": build, "rw": rw, "qd": int(qd), "qpairs": int(qpairs),
       "round": int(rnd)}
if rc == "0":
    t = json.load(open(path))["total"]
    # The I/O connections (not the admin one): their share of time waiting.
    waits = [float(m.group(2)) for m in
             (re.search(r"closed: (\d+) commands;.*waited for data ([\d.]+)%", l)
              for l in open(tlog)) if m and int(m.group(1)) > 1000]
    row.update(iops=t["iops"], mean_us=t["avg_us"], p99_us=t["p99"],
               syscalls=t.get("syscalls_per_io"), recv=t.get("recv_calls_per_io"),
               send=t.get("send_calls_per_io"), ready=t.get("readiness_calls_per_io"),
               empty=t.get("recv_empty_calls_per_io"),
               target_wait=sum(waits) / len(waits) / 100 if waits else None)
else:
    lines = [l for l in open(err).read().splitlines() if l.strip()]
    row["error"] = lines[-1] if lines else "exit %s" % rc
print(json.dumps(row))
PY
}

# run_part PART PORT TARGET_LOG POINTS...: each round runs every point,
# baseline then current, so both builds see the same conditions.
run_part() {
	local part=$1 port=$2 tlog=$3 point rw qd qp build round
	shift 3
	for round in $(seq "$ROUNDS"); do
		for point in "$@"; do
			IFS=: read -r rw qd qp <<<"$point"
			for build in baseline current; do
				run_point "$part" "$build" "$rw" "$qd" "${qp:-1}" "$port" "$tlog"
			done
		done
	done
}

# path_cost PORT RW SUBMIT_FN: instructions inside the library's submit
# and poll calls per I/O, QD32, counted by callgrind (user space only).
path_cost() {
	local port=$1 rw=$2 fn=$3 out=$job/cost.$2
	command -v valgrind >/dev/null || { echo "bench: needs valgrind (scripts/pkgdep.sh)" >&2; exit 1; }
	echo "# fast: callgrind, pnvme_perf $rw QD32" >&2
	valgrind --tool=callgrind --callgrind-out-file="$out.callgrind" --toggle-collect="$fn" \
		--toggle-collect=pnvme_qpair_process_completions \
		build/bin/pnvme_perf --no-hugepages -c 0x2 \
		-r "trtype:TCP adrfam:IPv4 traddr:127.0.0.1 trsvcid:$port subnqn:$NQN" \
		-q 32 -o 4096 -w "$rw" -t 3 --json >"$out.json" 2>"$out.err"
	python3 - "$rw" "$out.json" "$out.err" <<'PY' >>"$job/results.jsonl"
import json, re, sys
rw, path, err = sys.argv[1:]
doc = json.load(open(path))
ios = doc["total"]["iops"] * doc["seconds"]
ir = int(re.search(r"Collected : (\d+)", open(err).read()).group(1))
print(json.dumps({"part": "cost", "rw": rw, "ir_per_io": ir / ios,
                  "syscalls": doc["total"]["syscalls_per_io"]}))
PY
}

fast_part() {
	local ready=$job/fast.ready tpid port
	rm -f "$ready"
	taskset -c 0 build/test/target/pnvme_test_target --bench --verbose --nqn "$NQN" \
		--port 0 --ready-file "$ready" --timeout 3600 >"$job/fast.target.log" 2>&1 &
	tpid=$!
	for _ in $(seq 100); do
		[ -s "$ready" ] && break
		sleep 0.1
	done
	port=$(cat "$ready")
	run_part fast "$port" "$job/fast.target.log" randread:1 randread:32 randwrite:1 randwrite:32 \
		randread:128 randread:32:4
	path_cost "$port" randread pnvme_ns_cmd_read
	path_cost "$port" randwrite pnvme_ns_cmd_write
	kill "$tpid"
	wait "$tpid" || true
}

guest_part() {
	local rig
	rm -rf "$job/guest"
	mkdir -p "$job/guest"
	test/rig/guest_run.sh --job "$job/guest" --hostfwd "$GUEST_PORT:4420" --timeout 1800 -- \
		sh test/rig/nvmet_target.sh "$NQN" >"$job/guest.rig.log" 2>&1 &
	rig=$!
	for _ in $(seq 300); do
		[ -f "$job/guest/target.ready" ] && break
		sleep 1
	done
	[ -f "$job/guest/target.ready" ] || { cat "$job/guest.rig.log"; exit 1; }
	run_part guest "$GUEST_PORT" - randread:1 randread:32 randwrite:1 randwrite:32
	echo stop >"$job/guest/target.cmd"
	sleep 3
	kill "$rig" 2>/dev/null || true
}

: >"$job/results.jsonl"
rm -f "$job"/latency-*.csv
for part in "${parts[@]}"; do
	case $part in
	fast) fast_part ;;
	guest) guest_part ;;
	*)
		echo "bench tcp: unknown part '$part' (fast or guest)" >&2
		exit 2
		;;
	esac
done

# This tree's latency at each point (the last round), drawn next to the doc.
mkdir -p docs/img
declare -A TARGET=([fast]="in-tree target" [guest]="kernel target in the guest")
for csv in "$job"/latency-*.csv; do
	[ -e "$csv" ] || continue
	point=$(basename "$csv" .csv)
	point=${point#latency-}
	scripts/latency_plot.sh --label "TCP, ${TARGET[${point%%-*}]}" "$csv" "docs/img/tcp-$point.svg"
done

python3 - "$job/results.jsonl" docs/performance.md "$BASELINE" "$(git rev-parse --short HEAD)" \
	"$ROUNDS" "$SECS" <<'PY'
import datetime, json, os, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
baseline, head, rounds, secs = sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6]

# One row per part, build and point: the median of its rounds (a failed
# round makes the row a failure, with its message).
rows = []
for r in runs:
    if r["part"] == "cost":
        continue
    key = (r["part"], r["build"], r["rw"], r["qd"], r["qpairs"])
    if any((x["part"], x["build"], x["rw"], x["qd"], x["qpairs"]) == key for x in rows):
        continue
    same = [x for x in runs if x["part"] != "cost" and
            (x["part"], x["build"], x["rw"], x["qd"], x["qpairs"]) == key]
    failed = [x for x in same if "error" in x]
    row = dict(r)
    if failed:
        row = dict(failed[0])
    else:
        for k in ("iops", "mean_us", "p99_us", "syscalls", "recv", "send", "ready", "empty",
                  "target_wait"):
            vals = [x[k] for x in same if x.get(k) is not None]
            row[k] = statistics.median(vals) if vals else None
        row["spread"] = (min(x["iops"] for x in same), max(x["iops"] for x in same))
    rows.append(row)
today = datetime.date.today().isoformat()
doc = open(sys.argv[2]).read()

def fmt(r, key, f):
    return f % r[key] if r.get(key) is not None else "-"

cost = [r for r in runs if r["part"] == "cost"]
cost_table = "\n".join(
    ["| 4 KiB QD32 | library instructions per I/O | system calls per I/O under callgrind |",
     "|---|---:|---:|"] +
    ["| %s | %.0f | %.3f |" % (r["rw"], r["ir_per_io"], r["syscalls"]) for r in cost])
for part in ("fast", "guest"):
    prow = [r for r in rows if r["part"] == part]
    if not prow:
        continue
    lines = ["| 4 KiB point | baseline IOPS | IOPS (range) | **ratio** (range over rounds) | baseline mean / p99 (us) | mean / p99 (us) | system calls / I/O (receive + send + readiness); receive calls that found nothing |"
             + (" target waiting |" if part == "fast" else ""),
             "|---|---:|---:|---:|---:|---:|---:|" + ("---:|" if part == "fast" else "")]
    keys = []
    for r in prow:
        k = (r["rw"], r["qd"], r["qpairs"])
        if k not in keys:
            keys.append(k)
    for k in keys:
        b = next((r for r in prow if (r["rw"], r["qd"], r["qpairs"]) == k and r["build"] == "baseline"), {})
        c = next((r for r in prow if (r["rw"], r["qd"], r["qpairs"]) == k and r["build"] == "current"), {})
        name = "%s QD%d%s" % (k[0], k[1], " x%d qpairs" % k[2] if k[2] > 1 else "")
        # Each round's ratio: the two runs made one after the other.
        ratios = []
        for rb in (x for x in runs if x["part"] == part and x["build"] == "baseline" and
                   (x["rw"], x["qd"], x["qpairs"]) == k and "iops" in x):
            rc_ = next((x for x in runs if x["part"] == part and x["build"] == "current" and
                        (x["rw"], x["qd"], x["qpairs"]) == k and x["round"] == rb["round"] and
                        "iops" in x), None)
            if rc_ is not None:
                ratios.append(rc_["iops"] / rb["iops"])
        ratio = ("**%.2fx** (%.2f-%.2f)" % (statistics.median(ratios), min(ratios), max(ratios))
                 if ratios and "iops" in b and "iops" in c else "-")
        calls = ("%.3f (%.3f + %.3f + %.3f); %.3f found nothing" % (
                 c["syscalls"], c["recv"], c["send"], c["ready"], c["empty"])
                 if c.get("syscalls") is not None else "-")
        line = "| %s | %s | %s | %s | %s | %s | %s |" % (
            name, fmt(b, "iops", "%.0f") if "iops" in b else "fails: " + b.get("error", "-"),
            "%.0f (%.0f-%.0f)" % ((c["iops"],) + c["spread"]) if "iops" in c
            else "fails: " + c.get("error", "-"), ratio,
            "%s / %s" % (fmt(b, "mean_us", "%.1f"), fmt(b, "p99_us", "%.1f")),
            "%s / %s" % (fmt(c, "mean_us", "%.1f"), fmt(c, "p99_us", "%.1f")), calls)
        if part == "fast":
            line += " %s |" % ("%.0f%%" % (100 * c["target_wait"])
                               if c.get("target_wait") is not None else "-")
        lines.append(line)
    table = "\n".join(lines)
    # The plots drawn above: this tree's run of each point in the last round.
    plots = ["![pnvme latency over TCP (%s), 4 KiB %s QD%d%s, last round: histogram, CDF, "
             "p50/p90/p99/p99.9](img/tcp-%s-%s-qd%d%s.svg)" % (
                 "in-tree target" if part == "fast" else "kernel target in the guest",
                 k[0], k[1], " x%d qpairs" % k[2] if k[2] > 1 else "",
                 part, k[0], k[1], "-x%d" % k[2] if k[2] > 1 else "")
             for k in keys
             if os.path.exists(os.path.join(os.path.dirname(sys.argv[1]), "latency-%s-%s-qd%d%s.csv" % (
                 part, k[0], k[1], "-x%d" % k[2] if k[2] > 1 else "")))]
    if part == "fast" and cost:
        table += ("\n\nThe library's own cost (`pnvme_ns_cmd_*` and "
                  "`pnvme_qpair_process_completions`, user space, counted by callgrind "
                  "over 3 s; the initiator runs slowly under it, so each poll finds more "
                  "to do than at full speed):\n\n" + cost_table)
    if plots:
        table += ("\n\nThis tree's latency at each point, from its run in the last round "
                  "(`pnvme_perf --latency-csv`, drawn by `scripts/latency_plot.sh`):\n\n" +
                  "\n\n".join(plots))
    print("\n## %s\n%s" % (part, table))
    start, end = "<!-- bench:tcp-%s:start -->" % part, "<!-- bench:tcp-%s:end -->" % part
    block = ("%s\nMeasured %s with `scripts/bench.sh tcp`: this tree (%s) and the baseline (%s) in "
             "one run, %d rounds of %s s per build and point, the two builds one after the other; "
             "medians, the range of this tree's IOPS, and the median (range) of the rounds' ratios.\n\n%s\n%s") % (start, today, head, baseline, rounds, secs,
                                                      table, end)
    if start in doc and end in doc:
        doc = doc[:doc.index(start)] + block + doc[doc.index(end) + len(end):]
    else:
        doc += "\n" + block + "\n"
open(sys.argv[2], "w").write(doc)
PY
