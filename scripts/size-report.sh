#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# What hipc's own objects put into a linked firmware image, from the linker
# map: only input sections that survived --gc-sections are counted, so the
# figure is the image's, not the object files'.  Per object, per component
# (core, port, firmware, C library, libgcc), hipc's total against a budget,
# and the image's totals from arm-none-eabi-size.
#
#   size-report.sh --map echo-m4.map --elf echo-m4.elf \
#                  [--budget cross/size-budget.txt] [--size arm-none-eabi-size] \
#                  [--objects libhipc_core_device.a ...]
#
# Budget: hipc's flash (text + data initialisers).  Exit status 1 when over
# budget or when the image links an allocator (the target has no heap).
set -eu

map=''
elf=''
budget=''
size=arm-none-eabi-size
objects=''
while [ $# -gt 0 ]; do
	case "$1" in
	--map) map=$2; shift 2 ;;
	--elf) elf=$2; shift 2 ;;
	--budget) budget=$2; shift 2 ;;
	--size) size=$2; shift 2 ;;
	--objects) shift; objects="$*"; break ;;
	*) echo "size-report: unknown argument $1" >&2; exit 2 ;;
	esac
done
if [ -z "$map" ] || [ ! -r "$map" ]; then
	echo "size-report: --map FILE required" >&2
	exit 2
fi

# The budget file: "limit N" (what CI enforces: a regression guard) and
# "target N" (where the image must get to; reported, not enforced).
limit=
target=
if [ -n "$budget" ]; then
	limit=$(grep -E '^[[:space:]]*limit[[:space:]]+[0-9]+' "$budget" | grep -o '[0-9][0-9]*' | head -n 1)
	target=$(grep -E '^[[:space:]]*target[[:space:]]+[0-9]+' "$budget" | grep -o '[0-9][0-9]*' | head -n 1)
	[ -n "$limit" ] || { echo "size-report: no 'limit N' line in $budget" >&2; exit 2; }
fi

# Input sections of the final image, attributed to objects.  The map lists
# discarded sections first; counting starts at the memory map proper.
if awk -v limit="$limit" -v target="$target" '
function hex(s,    i, c, v) {
	v = 0
	s = tolower(s)
	sub(/^0x/, "", s)
	for (i = 1; i <= length(s); i++) {
		c = index("0123456789abcdef", substr(s, i, 1))
		if (c == 0)
			return v
		v = v * 16 + c - 1
	}
	return v
}
function kind(out) {
	if (out == ".data")
		return "data"
	if (out == ".bss")
		return "bss"
	if (out == ".resource_table")
		return "rsc"
	if (out == ".vectors" || out == ".text" || out ~ /^\.ARM\.ex/ ||
	    out ~ /_array$/)
		return "text"
	return ""
}
function component(obj) {
	if (obj ~ /libhipc_core[^\/]*\.a\(/)
		return "core"
	if (obj ~ /libhipc_baremetal[^\/]*\.a\(/)
		return "port"
	if (obj ~ /libc(_nano)?\.a\(|libg(_nano)?\.a\(|librdimon/)
		return "libc"
	if (obj ~ /libgcc\.a\(/)
		return "libgcc"
	if (obj ~ /echo-m4/)
		return "firmware"
	return "other"
}
function add(sz, obj,    k, c, name) {
	k = kind(out)
	if (k == "" || sz == 0)
		return
	c = component(obj)
	name = obj
	sub(/^.*\//, "", name)
	if (c == "core" || c == "port") {
		sub(/^lib[^(]*\.a\(/, "", name)
		sub(/\)$/, "", name)
		sub(/\.c\.obj$/, ".c", name)
		key = c "/" name
		if (!(key in seen)) {
			seen[key] = 1
			order[++nobj] = key
		}
		per[key, k] += sz
	}
	comp[c, k] += sz
	total[k] += sz
}
/^Linker script and memory map/ { inmap = 1; next }
!inmap { next }
/^\.[^ \t]/ { out = $1; pending = ""; next }
/^ \*fill\*/ { next }
/^ [.A-Z]/ && NF == 1 { pending = $1; next }
/^ [.A-Z]/ && NF >= 4 && $2 ~ /^0x/ && $3 ~ /^0x/ { add(hex($3), $4); pending = ""; next }
/^  +0x/ && NF == 3 && pending != "" && $2 ~ /^0x/ { add(hex($2), $3); pending = ""; next }
{ pending = "" }
END {
	printf "hipc objects in the image (after --gc-sections), bytes\n"
	printf "  %-28s %7s %7s %7s %7s\n", "object", "text", "data", "bss", "flash"
	for (i = 1; i <= nobj; i++) {
		key = order[i]
		printf "  %-28s %7d %7d %7d %7d\n", key, per[key, "text"],
		       per[key, "data"], per[key, "bss"],
		       per[key, "text"] + per[key, "data"]
	}
	printf "\nby component, bytes\n"
	printf "  %-28s %7s %7s %7s %7s\n", "component", "text", "data", "bss", "flash"
	n = split("core port firmware libc libgcc other", cs, " ")
	for (i = 1; i <= n; i++) {
		c = cs[i]
		if (comp[c, "text"] + comp[c, "data"] + comp[c, "bss"] + comp[c, "rsc"] == 0)
			continue
		printf "  %-28s %7d %7d %7d %7d", c, comp[c, "text"], comp[c, "data"],
		       comp[c, "bss"], comp[c, "text"] + comp[c, "data"]
		if (comp[c, "rsc"])
			printf "   (+ %d B resource table, loaded in RAM)", comp[c, "rsc"]
		printf "\n"
	}
	ht = comp["core", "text"] + comp["port", "text"]
	hd = comp["core", "data"] + comp["port", "data"]
	hb = comp["core", "bss"] + comp["port", "bss"]
	printf "  %-28s %7d %7d %7d %7d\n", "hipc (core + port)", ht, hd, hb, ht + hd
	printf "  %-28s %7d %7d %7d %7d\n", "image (all input sections)",
	       total["text"], total["data"], total["bss"], total["text"] + total["data"]
	printf "\nhipc flash: %d bytes", ht + hd
	if (limit != "") {
		printf " (limit %d, %s", limit, (ht + hd <= limit) ? "ok" : "OVER"
		if (target != "" && ht + hd <= target)
			printf "; target %d, met", target
		else if (target != "")
			printf "; target %d, %d over", target, ht + hd - target
		printf ")\n"
		if (ht + hd > limit)
			exit 1
	} else {
		printf "\n"
	}
}' "$map"
then
	status=0
else
	echo "size-report: hipc is over its flash budget" >&2
	status=1
fi
if [ -n "$elf" ]; then
	echo
	echo "image totals ($size):"
	"$size" "$elf"
	# The target has no heap: an allocator in the image is a regression.
	nm=$(echo "$size" | sed 's/size$/nm/')
	if command -v "$nm" >/dev/null 2>&1; then
		if "$nm" "$elf" | grep -Eq ' (malloc|_malloc_r|_sbrk|_sbrk_r)$'; then
			echo "size-report: the image links an allocator (malloc/_sbrk)" >&2
			status=1
		else
			echo "no allocator linked (malloc/_sbrk absent)"
		fi
	fi
fi

if [ -n "$objects" ]; then
	echo
	echo "object files before --gc-sections ($size -t), for reference:"
	# shellcheck disable=SC2086
	"$size" -t $objects
fi
exit $status
