#!/bin/sh
# bench.sh [RUNS]: time runlet's `lines | fields ws host | count-by host`
# (and the combined preset) on a generated 50 MB access log against awk and
# a plain Go program, interleaved, RUNS times each (default 6); prints the
# median wall time of each. Run from the module root:
#   sh cmd/runlet/testdata/bench.sh
set -eu
runs=${1:-6}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
go build -o "$dir/runlet" ./cmd/runlet
go build -o "$dir/countfirst" ./cmd/runlet/testdata/countfirst
go run ./cmd/runlet/testdata/genlog "$dir/access.log" 50
log=$dir/access.log

wall() { # wall NAME CMD...: append the wall seconds of CMD to $dir/NAME
	name=$1; shift
	s=$(date +%s.%N)
	"$@" >"$dir/out.$name"
	e=$(date +%s.%N)
	echo "$e - $s" | bc >>"$dir/$name"
}
i=0
while [ "$i" -lt "$runs" ]; do
	wall runlet-ws "$dir/runlet" -template '{{.host}} {{.count}}' run 'lines | fields ws host | count-by host' "$log"
	wall runlet-combined "$dir/runlet" -template '{{.host}} {{.count}}' run 'lines | fields combined | count-by host' "$log"
	wall awk awk '{c[$1]++} END {for (k in c) print k, c[k]}' "$log"
	wall go "$dir/countfirst" "$log"
	i=$((i + 1))
done
sort "$dir/out.awk" | cmp -s - "$dir/out.go" && cmp -s "$dir/out.runlet-ws" "$dir/out.go" || { echo "bench.sh: outputs differ" >&2; exit 1; }
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
for name in runlet-ws runlet-combined awk go; do
	printf '%-16s median %ss of %s runs (%s)\n' "$name" "$(sort -n "$dir/$name" | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}')" "$runs" "$(sort -n "$dir/$name" | tr '\n' ' ')"
done
