#!/usr/bin/env bash
# The Debian package: configured the way packages are built (Release,
# crash-test hooks compiled out, prefix /usr), built by CPack, installed
# with dpkg -i on this machine, run from the installed paths, removed.
#   usage: deb.sh SRC_DIR BUILD_DIR
# Needs root (dpkg -i); exit 77 when not root or dpkg is missing.
set -euo pipefail
SRC=$(readlink -f "$1"); B=$2
fail() { echo "FAIL: $*"; exit 1; }
pass() { echo "ok: $*"; }

[ "$(id -u)" = 0 ] || { echo "SKIPPED: dpkg -i needs root"; exit 77; }
command -v dpkg >/dev/null && command -v cpack >/dev/null ||
	{ echo "SKIPPED: dpkg or cpack missing"; exit 77; }
if [ "$(dpkg-query -W -f='${Status}' clawkeeper 2>/dev/null)" = "install ok installed" ]; then
	echo "SKIPPED: a clawkeeper package is already installed here; not touching it"
	exit 77
fi

INSTALLED=0
cleanup() {
	if [ "$INSTALLED" = 1 ]; then
		dpkg -r clawkeeper >/dev/null 2>&1 || true
	fi
	# Leave no dpkg record behind ("rc" state); the user stays (Debian
	# keeps system users).
	if dpkg-query -W clawkeeper >/dev/null 2>&1; then
		dpkg --purge clawkeeper >/dev/null 2>&1 || true
	fi
}
trap cleanup EXIT

t0=$(date +%s)
# A crash-test build must not become a package: the package target
# refuses it.
rm -rf "$B-hooks"
cmake -S "$SRC" -B "$B-hooks" -DCMAKE_BUILD_TYPE=Release -DCK_TESTS=OFF \
	-DCK_TEST_HOOKS=ON -DCMAKE_INSTALL_PREFIX=/usr >/dev/null
if (cd "$B-hooks" && cpack -G DEB >"$B-hooks.log" 2>&1); then
	fail "cpack built a package from a build with CK_TEST_HOOKS=ON"
fi
grep -q "CK_TEST_HOOKS=OFF" "$B-hooks.log" || fail "refusal does not say why: $(tail -n 5 "$B-hooks.log")"
rm -rf "$B-hooks" "$B-hooks.log"
pass "cpack refuses a build with the crash-test hooks compiled in"

cmake -S "$SRC" -B "$B" -DCMAKE_BUILD_TYPE=Release -DCK_TESTS=OFF \
	-DCK_TEST_HOOKS=OFF -DCMAKE_INSTALL_PREFIX=/usr >/dev/null
cmake --build "$B" -j2 >"$B.build.log" 2>&1 || { tail -n 30 "$B.build.log"; fail "the Release build failed"; }
rm -f "$B"/clawkeeper_*.deb
(cd "$B" && cpack -G DEB >cpack.log 2>&1) || { tail -n 20 "$B/cpack.log"; fail "cpack failed"; }
DEB=$(ls "$B"/clawkeeper_*.deb)
t1=$(date +%s)
pass "built $(basename "$DEB") ($(du -k "$DEB" | cut -f1) KiB) in $((t1 - t0))s"

# What the package holds and needs.
contents=$(dpkg-deb -c "$DEB" | awk '{print $6}')
for f in ./usr/bin/clawkeeper ./usr/lib/systemd/system/clawkeeper@.service \
	./usr/lib/systemd/system/openclaw-gateway@.service \
	./usr/lib/systemd/system/clawkeeper.service \
	./usr/share/man/man8/clawkeeper.8 ./usr/share/man/man5/clawkeeper.json.5 \
	./usr/share/clawkeeper/agent.example.json ./usr/share/clawkeeper/ansible/rollout.yml; do
	grep -qx "$f" <<<"$contents" || fail "package lacks $f"
done
depends=$(dpkg-deb -f "$DEB" Depends)
for lib in libjansson4 libmicrohttpd12 libcurl4 libssl3 libarchive13 libsystemd0 libsqlite3-0 adduser; do
	grep -q "$lib" <<<"$depends" || fail "Depends lacks $lib: $depends"
done
for s in postinst prerm postrm; do
	dpkg-deb -I "$DEB" "$s" >/dev/null 2>&1 || fail "no $s maintainer script"
done
# Compiled out: the hook's environment variable is not in the binary.
dpkg-deb --fsys-tarfile "$DEB" | tar -xOf - ./usr/bin/clawkeeper | grep -aq CK_TEST_CRASH_AT &&
	fail "the packaged binary has the crash-test hook"
pass "package: binary, 3 units, 2 man pages, example config, playbook; Depends: $depends"

dpkg -i "$DEB" >"$B/dpkg-install.log" 2>&1 || { cat "$B/dpkg-install.log"; fail "dpkg -i failed"; }
INSTALLED=1
[ "$(command -v clawkeeper)" = /usr/bin/clawkeeper ] || fail "clawkeeper on PATH is $(command -v clawkeeper)"
ver=$(/usr/bin/clawkeeper --version)
grep -q "^clawkeeper [0-9]" <<<"$ver" || fail "--version said '$ver'"
# The example is a world-readable template; a config in use must be 0600.
/usr/bin/clawkeeper config check /usr/share/clawkeeper/agent.example.json >/dev/null 2>&1 &&
	fail "config check accepted a config others can read"
install -m 0600 /usr/share/clawkeeper/agent.example.json "$B/agent.json"
/usr/bin/clawkeeper config check "$B/agent.json" ||
	fail "the installed example config does not pass config check"
getent passwd clawkeeper >/dev/null || fail "no clawkeeper user"
getent group clawkeeper >/dev/null || fail "no clawkeeper group"
[ "$(getent passwd clawkeeper | cut -d: -f7)" = /usr/sbin/nologin ] || fail "clawkeeper has a login shell"
for d in /var/lib/clawkeeper /etc/clawkeeper; do
	[ "$(stat -c %a "$d")" = 750 ] || fail "$d mode $(stat -c %a "$d"), want 750"
done
[ "$(stat -c %U "/var/lib/clawkeeper")" = clawkeeper ] || fail "/var/lib/clawkeeper not owned by clawkeeper"
[ "$(stat -c %G "/etc/clawkeeper")" = clawkeeper ] || fail "/etc/clawkeeper not group clawkeeper"
if command -v systemd-analyze >/dev/null; then
	# Verifies the installed units against the installed binary.
	systemd-analyze verify --man=no /usr/lib/systemd/system/clawkeeper@.service \
		/usr/lib/systemd/system/clawkeeper.service >"$B/verify.log" 2>&1 ||
		{ cat "$B/verify.log"; fail "systemd-analyze verify"; }
	[ -n "$(grep -v "openclaw is not executable" "$B/verify.log")" ] &&
		{ cat "$B/verify.log"; fail "systemd-analyze verify complained"; }
fi
pass "dpkg -i: $ver from /usr/bin; config check passes on /usr/share/clawkeeper/agent.example.json; user clawkeeper (nologin); /var/lib/clawkeeper and /etc/clawkeeper 0750"

# Reinstall over itself: postinst must be idempotent.
dpkg -i "$DEB" >"$B/dpkg-reinstall.log" 2>&1 || { cat "$B/dpkg-reinstall.log"; fail "reinstall failed"; }

dpkg -r clawkeeper >"$B/dpkg-remove.log" 2>&1 || { cat "$B/dpkg-remove.log"; fail "dpkg -r failed"; }
INSTALLED=0
[ ! -e /usr/bin/clawkeeper ] || fail "/usr/bin/clawkeeper left after dpkg -r"
[ ! -e /usr/lib/systemd/system/clawkeeper@.service ] || fail "unit left after dpkg -r"
pass "reinstall over itself, then dpkg -r: binary and units gone ($(( $(date +%s) - t0 ))s in all)"
echo "deb: all assertions passed"
