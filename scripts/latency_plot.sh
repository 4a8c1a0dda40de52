#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Draws a pnvme_perf latency histogram (--latency-csv) with gnuplot: the
# share of I/Os in each bucket on a log-scale microsecond axis, the CDF on a
# second axis, p50/p90/p99/p99.9 as labelled vertical lines, and the
# workload and IOPS in the title. pnvme_perf --plot runs it; so does
# scripts/bench.sh, also for fio's histograms that scripts/fio_latency_csv.py
# wrote in the same format. Only the whole-run rows (job "all") are drawn.
#
#   scripts/latency_plot.sh [--label TEXT] CSV OUT.svg [OUT.png]
#     OUT.png: a copy to look at; --label: TEXT in the title in place of the
#     CSV's transport (to say which target or setting the point ran against)
set -euo pipefail

label=
if [[ ${1:-} == --label ]]; then
	(($# >= 2)) || { echo "usage: $0 [--label TEXT] CSV OUT.svg [OUT.png]" >&2; exit 2; }
	label=$2
	shift 2
fi
if (($# < 2 || $# > 3)); then
	echo "usage: $0 [--label TEXT] CSV OUT.svg [OUT.png]" >&2
	exit 2
fi
csv=$1 svg=$2 png=${3:-}
command -v gnuplot >/dev/null || { echo "latency_plot: needs gnuplot (scripts/pkgdep.sh)" >&2; exit 1; }
# gnuplot would draw to its stdout when it cannot open the output.
for out in "$svg" ${png:+"$png"}; do
	: >"$out" || exit 1
done

# meta KEY: the value of a "# KEY=VALUE" line of the CSV.
meta() { sed -n "s/^# $1=//p" "$csv" | head -n 1; }

rw=$(meta rw) bs=$(meta bs) qd=$(meta qd) transport=${label:-$(meta transport)} iops=$(meta iops)
if [[ -z $rw || -z $bs || -z $qd || -z $iops ]]; then
	echo "latency_plot: $csv is not a pnvme_perf --latency-csv file" >&2
	exit 1
fi
mix=$(meta rwmix_read)
[[ -n $mix ]] && rw="$rw ($mix% reads)"
if ((bs % 1024 == 0)); then size="$((bs / 1024)) KiB"; else size="$bs B"; fi
title=$(awk -v w="$rw" -v s="$size" -v q="$qd" -v t="$transport" -v i="$iops" 'BEGIN {
	n = i >= 1e6 ? sprintf("%.2fM", i / 1e6) : i >= 1e3 ? sprintf("%.1fk", i / 1e3) : sprintf("%.0f", i)
	printf "%s, %s, QD%s, %s: %s IOPS", w, s, q, t, n
}')
# gnuplot reads the title inside double quotes.
title=${title//\\/}
title=${title//\"/\'}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The histogram's outline as one step path (one shape in the SVG, however
# many buckets): each bucket's top, down to the floor across empty ones.
# Then the x range (a margin either side of the occupied buckets), the
# tallest bar, the I/O count, and x tics: 1, 2 and 5 of each decade, or
# only the decades over a wide range.
read -r xmin xmax ymax ios xtics < <(awk -F, -v out="$tmp/outline" '$1 == "all" {
	lower[++n] = $2; upper[n] = $3; count[n] = $4; total += $4; if ($4 > top) top = $4
} END {
	if (!n) exit 1
	floor = 50.0 / total
	printf "%.9g,%.9g\n", lower[1], floor >out
	for (i = 1; i <= n; i++) {
		if (i > 1 && lower[i] != upper[i - 1])
			printf "%.9g,%.9g\n%.9g,%.9g\n", upper[i - 1], floor, lower[i], floor >out
		share = 100.0 * count[i] / total
		printf "%.9g,%.9g\n%.9g,%.9g\n", lower[i], share, upper[i], share >out
	}
	printf "%.9g,%.9g\n", upper[n], floor >out
	lo = lower[1] / 1.25; hi = upper[n] * 1.25
	k = split(log(hi / lo) / log(10) > 3 ? "1" : "1 2 5", mult, " ")
	for (d = 10 ^ int(log(lo) / log(10) - 1); d <= hi; d *= 10)
		for (m = 1; m <= k; m++)
			if (d * mult[m] >= lo && d * mult[m] <= hi)
				tics = tics (tics ? "," : "") sprintf("%g", d * mult[m])
	printf "%.9g %.9g %.9g %d %s\n", lo, hi, 100.0 * top / total, total, tics
}' "$csv") || { echo "latency_plot: $csv has no rows" >&2; exit 1; }

# One labelled line per percentile. Percentiles in the same bucket share a
# line and a label; labels step down the plot so neighbours never overlap,
# and those right of the middle sit left of their line.
marks=$(for p in 50 90 99 99.9; do printf '%s %s\n' "$p" "$(meta "p${p}_us")"; done |
	awk -v xmin="$xmin" -v xmax="$xmax" '
	$2 == "" { next }
	$2 == last { names[n] = names[n] " = p" $1; next }
	{ n++; names[n] = "p" $1; val[n] = $2; last = $2 }
	END {
		split("#d62728 #ff7f0e #2ca02c #9467bd", colour, " ")
		for (i = 1; i <= n; i++) {
			frac = log(val[i] / xmin) / log(xmax / xmin)
			side = frac > 0.55 ? "right offset -0.6,0" : "left offset 0.6,0"
			printf "set arrow from %s, graph 0 to %s, graph 1 nohead lw 1.5 dt 2 lc rgb \"%s\" back\n", \
				val[i], val[i], colour[i]
			# 4 digits, but whole microseconds from 10 ms on (no exponent)
			shown = val[i] < 10000 ? sprintf("%.4g", val[i]) : sprintf("%.0f", val[i])
			printf "set label \"%s: %s µs\" at %s, graph %.2f %s tc rgb \"%s\" boxed front\n", \
				names[i], shown, val[i], 0.93 - 0.08 * (i - 1), side, colour[i]
		}
	}')

# draw TERMINAL OUTPUT
draw() {
	gnuplot <<EOF
set encoding utf8
set terminal $1
set output "$2"
set datafile separator ","
set title "$title" font ",13"
set logscale x 10
set xtics ($xtics)
set xrange [$xmin:$xmax]
set xlabel "latency (µs, log scale)"
# Log scale here too, so the tail that p99 and p99.9 stand on shows: the
# bottom is half of one I/O's share.
set logscale y 10
set format y "%g"
set ylabel "I/Os in the bucket (% of $ios, log scale)"
set yrange [50.0 / $ios:$ymax * 8]
set ytics nomirror
set y2label "cumulative (% of I/Os)"
set y2range [0:100]
set y2tics 0, 20, 100
set grid xtics mxtics y2tics lc rgb "#dddddd"
set bmargin 5
set key at screen 0.5, screen 0.02 center bottom horizontal
set style textbox opaque noborder margins 1, 1
set style fill solid 0.6 noborder
$marks
all(x) = strcol(1) eq "all" ? x : NaN
plot "$tmp/outline" using 1:2 with filledcurves y=50.0 / $ios lc rgb "#1f77b4" \
		title "share of I/Os per bucket (left axis)", \
	"$csv" using (all(\$3)):(\$5 * 100) axes x1y2 with lines lw 2 lc rgb "#000000" \
		title "CDF (right axis)"
EOF
}

draw 'svg size 900,520 dynamic font "sans,12" background "#ffffff"' "$svg"
if [[ -n $png ]]; then
	draw 'pngcairo size 900,520 font "sans,10"' "$png"
fi
