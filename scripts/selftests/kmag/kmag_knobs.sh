#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# kselftest: kmag's debugfs knobs refuse bad input. Each bad write to
# scavenge_delay_ms (not a number, negative, out of range, empty, trailing
# garbage) must fail and leave the value as it was; 0 (give back at once)
# and the maximum, 60000, are accepted. drain refuses 0 and garbage.
kmag=/sys/kernel/debug/kmag
knob=$kmag/scavenge_delay_ms
[ -w "$knob" ] || { echo "no $knob: is kmag.ko loaded? [FAIL]"; exit 1; }
failed=0
orig=$(cat "$knob")

bad() {		# bad FILE VALUE: the write must fail, FILE must not change
	was=$(cat "$1" 2>/dev/null)
	if echo "$2" >"$1" 2>/dev/null; then
		echo "kmag knobs: '$2' > ${1##*/} was accepted [FAIL]"
		failed=$((failed + 1))
	elif [ "$(cat "$1" 2>/dev/null)" != "$was" ]; then
		echo "kmag knobs: '$2' > ${1##*/} changed it to $(cat "$1") [FAIL]"
		failed=$((failed + 1))
	else
		echo "kmag knobs: '$2' > ${1##*/} refused, value unchanged"
	fi
}

good() {	# good VALUE: accepted and read back
	if ! echo "$1" >"$knob" || [ "$(cat "$knob")" != "$1" ]; then
		echo "kmag knobs: $1 > ${knob##*/} not taken [FAIL]"
		failed=$((failed + 1))
	fi
}

for v in abc -1 60001 99999999999999999999 "" "12abc"; do
	bad "$knob" "$v"
done
good 0
good 60000
echo "$orig" >"$knob"
for v in 0 xyz; do
	if echo "$v" >"$kmag/drain" 2>/dev/null; then
		echo "kmag knobs: '$v' > drain was accepted [FAIL]"
		failed=$((failed + 1))
	fi
done
[ $failed -eq 0 ] || { echo "kmag knobs: $failed bad writes [FAIL]"; exit 1; }
echo "kmag knobs: ok"
