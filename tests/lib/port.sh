# free_port: prints a loopback TCP port for a test's listener (a gateway,
# the agent's API, a stub), sourced by the shell suites and the bench.
#
# A port picked at random can be taken by the time the listener binds it:
# by an outgoing connection if it lies in the kernel's ephemeral range
# (net.ipv4.ip_local_port_range, 32768-60999 by default), or by another
# suite that ctest runs at the same time and that picked the same number.
# So ports come from below the ephemeral range, a block of 8 at a time
# (a gateway may open ports beside its own), none of them listening, and
# each block is reserved by an atomic mkdir under one directory shared by
# every suite on the machine. Reservations older than two hours lapse.
CK_PORT_DIR=${CK_PORT_DIR:-${TMPDIR:-/tmp}/ck-port-reservations}

free_port() {
	local lo=10000 hi base p i busy
	hi=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
	[ "$hi" -gt $((lo + 800)) ] || hi=32768
	mkdir -p "$CK_PORT_DIR"
	find "$CK_PORT_DIR" -mindepth 1 -maxdepth 1 -mmin +120 -exec rm -rf {} + 2>/dev/null || true
	for _ in $(seq 1 500); do
		base=$((lo + 8 * (RANDOM % ((hi - lo) / 8 - 1))))
		busy=0
		for i in 0 1 2 3 4 5 6 7; do
			p=$((base + i))
			if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then busy=1; break; fi
		done
		[ "$busy" = 0 ] || continue
		mkdir "$CK_PORT_DIR/$base" 2>/dev/null || continue
		echo "$base"
		return 0
	done
	echo "free_port: no free block of 8 loopback ports below $hi" >&2
	return 1
}
