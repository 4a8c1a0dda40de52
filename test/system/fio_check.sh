# SPDX-License-Identifier: BSD-3-Clause
# Sourced (POSIX sh: the rig guest and the host): runs fio through the pnvme
# engine and checks the outcome on fio's JSON. Prints "ok - " / "not ok - ".
# Needs FIO_ENGINE (the engine's path); FIO_OUT is a scratch file prefix.
: "${FIO_ENGINE:=build/fio/pnvme_fio_engine.so}"
: "${FIO_OUT:=/tmp/fio-check}"
# Python: the JSON document of fio's output file argv[1].
FIO_JSON='import json, re, sys
fio_json = lambda p: json.loads(re.search(r"^\{.*", open(p).read(), re.M | re.S).group(0))'

# fio_run FILENAME ARGS...: fio with the engine, JSON into $FIO_OUT.json
# (after any warning lines fio puts first: FIO_JSON above skips them), fio's
# other output into $FIO_OUT.log; fio's exit status.
fio_run() {
	_f=$1
	shift
	[ -n "${FIO_TIMES:-}" ] && echo "# $(date +%T) fio $*"
	timeout 600 fio --output-format=json --output="$FIO_OUT.json" --thread=1 \
		--ioengine=external:"$FIO_ENGINE" --filename="$_f" --direct=1 --verify_state_save=0 \
		"$@" >"$FIO_OUT.log" 2>&1
}

# fio_verify NAME NUMJOBS FILENAME ARGS...: a verified run (verify=crc32c in
# ARGS). Every job ends with error 0, moved data both ways (the writes and
# the reads that checked them), and wrote as many bytes as it read back at
# least; percentiles of completion latency are there.
fio_verify() {
	_name=$1 _jobs=$2 _file=$3
	shift 3
	fio_run "$_file" --numjobs="$_jobs" "$@"
	_rc=$?
	if [ $_rc -eq 0 ] && python3 -c "$FIO_JSON
exec(sys.stdin.read())" "$FIO_OUT.json" "$_jobs" <<'PY'
j = fio_json(sys.argv[1])
jobs = j["jobs"]
assert len(jobs) == int(sys.argv[2]), "%d jobs" % len(jobs)
for x in jobs:
    r, w = x["read"], x["write"]
    assert x["error"] == 0, (x["jobname"], x["error"])
    assert w["io_bytes"] > 0 and r["io_bytes"] >= w["io_bytes"], (r["io_bytes"], w["io_bytes"])
    assert r["clat_ns"]["percentile"]["99.000000"] > 0, r["clat_ns"]
    assert w["clat_ns"]["percentile"]["99.000000"] > 0, w["clat_ns"]
print("# %s: %s" % (sys.argv[2] + " job(s)", ", ".join(
    "%d KiB written, %d KiB read, read p99 %.0f us" % (x["write"]["io_bytes"] // 1024,
    x["read"]["io_bytes"] // 1024, x["read"]["clat_ns"]["percentile"]["99.000000"] / 1000)
    for x in jobs)))
PY
	then
		echo "ok - $_name"
	else
		echo "# fio exit $_rc"
		cat "$FIO_OUT.log" "$FIO_OUT.json"
		echo "not ok - $_name"
	fi
}

# fio_verify_matrix FILENAME: the job/depth combinations both transports run.
fio_verify_matrix() {
	fio_verify "fio verify=crc32c, write, numjobs=1 iodepth=1, bs=4k: no errors, every block read back" \
		1 "$1" --name=w1 --rw=write --bs=4k --iodepth=1 --size=4M --verify=crc32c
	fio_verify "fio verify=crc32c, randwrite, numjobs=2 iodepth=32, bs=4k, one controller attach for both jobs: no errors" \
		2 "$1" --name=rw32 --rw=randwrite --bs=4k --iodepth=32 --size=16M \
		--offset_increment=16M --verify=crc32c
	fio_verify "fio verify=crc32c, randrw, iodepth=16, bs=4k: no errors" \
		1 "$1" --name=rrw4k --rw=randrw --bs=4k --iodepth=16 --size=8M --offset=64M \
		--verify=crc32c
	fio_verify "fio verify=crc32c, randrw, numjobs=2 iodepth=8, bs=64k: no errors" \
		2 "$1" --name=rrw64k --rw=randrw --bs=64k --iodepth=8 --size=16M --offset=128M \
		--offset_increment=16M --verify=crc32c
}

# fio_refusals FILENAME: a bad filename and a job without thread=1 each fail
# with one line naming the problem.
fio_refusals() {
	timeout 120 fio --name=bad --ioengine=external:"$FIO_ENGINE" --thread=1 --rw=read \
		--filename="$1 ns=x" --size=1M >"$FIO_OUT.log" 2>&1
	_rc=$?
	if [ $_rc -ne 0 ] && grep -q "ns=x is not a namespace ID" "$FIO_OUT.log"; then
		echo "ok - fio: a bad filename fails the job with a line naming it"
	else
		cat "$FIO_OUT.log"
		echo "not ok - fio: a bad filename fails the job with a line naming it (exit $_rc)"
	fi
	timeout 120 fio --name=nothread --ioengine=external:"$FIO_ENGINE" --rw=read \
		--filename="$1" --size=1M >"$FIO_OUT.log" 2>&1
	_rc=$?
	if [ $_rc -ne 0 ] && grep -q "needs thread=1" "$FIO_OUT.log"; then
		echo "ok - fio: a job without thread=1 is refused with a line saying so"
	else
		cat "$FIO_OUT.log"
		echo "not ok - fio: a job without thread=1 is refused (exit $_rc)"
	fi
}

# fio_trim FILENAME: trim reaches the device as a deallocate. Blocks written
# and verified, then trimmed, no longer verify (the controller returns
# zeroes for deallocated blocks).
fio_trim() {
	_area="--bs=4k --size=4M --offset=256M --verify=crc32c"
	# shellcheck disable=SC2086
	if fio_run "$1" --name=tw --rw=write $_area --do_verify=0 &&
		fio_run "$1" --name=tw --rw=write $_area --verify_only=1 &&
		fio_run "$1" --name=tt --rw=trim --bs=64k --size=4M --offset=256M &&
		python3 -c "$FIO_JSON"'
t = fio_json(sys.argv[1])["jobs"][0]["trim"]
assert t["io_bytes"] == 4 << 20, t' "$FIO_OUT.json"; then
		fio_run "$1" --name=tw --rw=write $_area --verify_only=1
		_rc=$?
		if [ $_rc -ne 0 ] && python3 -c "$FIO_JSON"'
assert fio_json(sys.argv[1])["jobs"][0]["error"] != 0' "$FIO_OUT.json"; then
			echo "ok - fio trim: 4 MiB deallocated; the data verified before no longer does"
		else
			cat "$FIO_OUT.log" "$FIO_OUT.json"
			echo "not ok - fio trim: verification still passed after the trim (exit $_rc)"
		fi
	else
		cat "$FIO_OUT.log" "$FIO_OUT.json"
		echo "not ok - fio trim: write, verify and trim of 4 MiB"
	fi
}
