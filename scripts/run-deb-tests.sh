#!/usr/bin/env bash
# The .deb packages as a user gets them: their file lists, lintian (no error), then unpacked into a throwaway root
# (never installed into this machine, so no other suite can pick the library up by accident): the packaged
# emulator serves, the packaged `cfcerts` talks to it, and a C example built with plain pkg-config against the
# packaged header and library runs against it.
# The cfcerts package's renewal timer too: its units pass `systemd-analyze verify` (against the unpacked root), its
# postinst creates renew.env 0600, the service's command renews against the emulator as systemd would run it; every
# man page renders without a warning; the completions sit where bash, zsh and fish look, and load there.
# Usage: scripts/run-deb-tests.sh DIST STAGE
set -euo pipefail
dist=$1
top=$(pwd)
work=$top/.build-deb-test
rm -rf "$work"
mkdir -p "$work"
root=$work/root
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
passed=0 failed=0
check() {
  local name=$1; shift
  if "$@" >"$work/$name.log" 2>&1; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAILED: $name"; tail -n 30 "$work/$name.log"; fi
}

lib=$(ls "$dist"/libcfcerts[0-9]*_*.deb) dev=$(ls "$dist"/libcfcerts-dev_*.deb) tools=$(ls "$dist"/cfcerts_*.deb)
check lib_lists_library sh -c "dpkg-deb -c '$lib' | grep -qE '\./usr/lib/$multiarch/libcfcerts\.so\.[0-9]+\.[0-9]+\.[0-9]+\$'"
check lib_lists_soname_link sh -c "dpkg-deb -c '$lib' | grep -qE '\./usr/lib/$multiarch/libcfcerts\.so\.0 -> libcfcerts\.so\.[0-9.]+\$'"
check lib_has_shlibs_and_trigger sh -c "dpkg-deb --ctrl-tarfile '$lib' | tar -t | grep -qx './shlibs' && dpkg-deb -I '$lib' triggers | grep -qx 'activate-noawait ldconfig'"
check lib_has_copyright sh -c "dpkg-deb -c '$lib' | grep -q './usr/share/doc/libcfcerts0/copyright\$'"
check dev_lists_header sh -c "dpkg-deb -c '$dev' | grep -q './usr/include/cfcerts.h\$'"
check dev_lists_so_link sh -c "dpkg-deb -c '$dev' | grep -qE './usr/lib/$multiarch/libcfcerts\.so -> libcfcerts\.so\.0\$'"
check dev_lists_pc sh -c "dpkg-deb -c '$dev' | grep -q './usr/lib/$multiarch/pkgconfig/cfcerts.pc\$'"
check tools_list_commands sh -c "dpkg-deb -c '$tools' | grep -q './usr/bin/cfcerts\$' && dpkg-deb -c '$tools' | grep -q './usr/bin/cfcerts-emulator\$'"
check depends_computed sh -c "dpkg-deb -f '$lib' Depends | grep -q 'libc6 (>=' && dpkg-deb -f '$tools' Depends | grep -q 'libc6 (>=' && dpkg-deb -f '$dev' Depends | grep -q 'libcfcerts0 (='"
check lintian_no_error_no_warning sh -c "lintian --fail-on error,warning --suppress-tags initial-upload-closes-no-bugs '$lib' '$dev' '$tools' 2>&1 | grep -v 'running with root privileges' | tee /dev/stderr | { ! grep -qE '^[EW]:'; }"
grep -E '^[EW]:' "$work/lintian_no_error_no_warning.log" | sed 's/^/  lintian: /' || true
check tools_list_units_and_env_template sh -c "dpkg-deb -c '$tools' | grep -q './lib/systemd/system/cfcerts-renew.service\$' && dpkg-deb -c '$tools' | grep -q './lib/systemd/system/cfcerts-renew.timer\$' && dpkg-deb -c '$tools' | grep -q './usr/share/cfcerts/renew.env\$'"

for package in "$lib" "$dev" "$tools"; do dpkg-deb -x "$package" "$root"; done
source scripts/emulator.sh
trap stop_emulator EXIT
start_emulator "$root/usr/bin" "$work" --rate-limit 1000000000/300 --ca-key p256 --transition-delay 0
zone=0123456789abcdef0123456789abcdef
export CLOUDFLARE_API_TOKEN=cfcerts-emulator-token CLOUDFLARE_BASE_URL=$EMULATOR_URL CLOUDFLARE_ZONE_ID=$zone
check packaged_cli_creates sh -c "cd '$work' && '$root/usr/bin/cfcerts' create --cn deb.example.com --key-out deb.key | grep -q 'status *active'"
# Plain pkg-config, pointed at the unpacked root (its .pc says /usr, as installed).
export PKG_CONFIG_SYSROOT_DIR=$root PKG_CONFIG_LIBDIR=$root/usr/lib/$multiarch/pkgconfig:/usr/lib/$multiarch/pkgconfig:/usr/share/pkgconfig
check c_example_builds sh -c 'cc -std=c99 -D_DEFAULT_SOURCE -O2 $(pkg-config --cflags cfcerts jansson) examples/c/list_certs.c \
  -o "$0" $(pkg-config --libs cfcerts jansson)' "$work/list_certs"
check c_example_runs sh -c "LD_LIBRARY_PATH='$root/usr/lib/$multiarch' '$work/list_certs' $zone | grep -q '1 certificate(s)'"
check c_example_uses_packaged_library sh -c "LD_LIBRARY_PATH='$root/usr/lib/$multiarch' ldd '$work/list_certs' | grep -q '$root/usr/lib/$multiarch/libcfcerts.so.0'"

# Man pages: one per command and subcommand, each rendering without a warning.
pages=$root/usr/share/man/man1
check man_pages_listed sh -c "for page in cfcerts cfcerts-list cfcerts-get cfcerts-create cfcerts-revoke cfcerts-reactivate cfcerts-renew cfcerts-csr cfcerts-hostnames cfcerts-mtls cfcerts-plan cfcerts-apply cfcerts-import cfcerts-emulator; do test -f '$pages/'\$page.1.gz || { echo missing \$page; exit 1; }; done"
check man_pages_render sh -c "for page in '$pages'/*.1.gz; do out=\$(MANWIDTH=80 man -l \"\$page\" 2>&1 >/dev/null); [ -z \"\$out\" ] || { echo \"\$page: \$out\"; exit 1; }; MANWIDTH=80 man -l \"\$page\" | grep -q 'SYNOPSIS' || exit 1; done"
check man_page_found_by_name sh -c "MANPATH='$root/usr/share/man' man -w cfcerts-renew | grep -q 'cfcerts-renew.1.gz' && MANPATH='$root/usr/share/man' man cfcerts-renew 2>/dev/null | grep -q -- '--deploy-hook'"

# Completions: in the folders the shells read (asked of each shell), and loading there.
check bash_completion_dir_and_load bash -c "test \"\$(env -u PKG_CONFIG_SYSROOT_DIR -u PKG_CONFIG_LIBDIR pkg-config --variable=completionsdir bash-completion)\" = /usr/share/bash-completion/completions && source '$root/usr/share/bash-completion/completions/cfcerts' && complete -p cfcerts"
check zsh_completion_dir_and_load zsh -fc "(( \${fpath[(Ie)/usr/share/zsh/vendor-completions]} )) || exit 1; fpath=('$root/usr/share/zsh/vendor-completions' \$fpath); autoload -Uz compinit && compinit -u -D && [[ \$_comps[cfcerts] == _cfcerts ]]"
check fish_completion_dir_and_load fish -c "contains /usr/share/fish/vendor_completions.d \$fish_complete_path; or exit 1; source '$root/usr/share/fish/vendor_completions.d/cfcerts.fish'; complete -C 'cfcerts ren' | string match -q 'renew*'"

# The units, verified in the unpacked root (with the system's targets they name copied in: only the package is checked).
units=$root/lib/systemd/system
cp -n /lib/systemd/system/*.target "$units/" 2>/dev/null || true
check units_verify sh -c "out=\$(systemd-analyze verify --man=no --root='$root' '$units/cfcerts-renew.service' '$units/cfcerts-renew.timer' 2>&1); echo \"\$out\"; [ -z \"\$out\" ]"
check timer_twice_a_day_randomised sh -c "grep -qx 'OnCalendar=\*-\*-\* 00,12:00:00' '$units/cfcerts-renew.timer' && grep -q '^RandomizedDelaySec=' '$units/cfcerts-renew.timer' && grep -qx 'EnvironmentFile=/etc/cfcerts/renew.env' '$units/cfcerts-renew.service'"
# postinst, its absolute paths moved into a scratch root: creates renew.env 0600 from the template, keeps an edited one.
etc_root=$work/etc-root
mkdir -p "$etc_root/usr/share/cfcerts"
cp "$root/usr/share/cfcerts/renew.env" "$etc_root/usr/share/cfcerts/"
dpkg-deb --ctrl-tarfile "$tools" | tar -x -C "$work" ./postinst
sed "s|/etc/|$etc_root/etc/|g; s|/usr/share/|$etc_root/usr/share/|g" "$work/postinst" >"$work/postinst.rooted"
check postinst_creates_env_0600 sh -c "sh '$work/postinst.rooted' configure && test \"\$(stat -c %a '$etc_root/etc/cfcerts/renew.env')\" = 600 && echo edited >>'$etc_root/etc/cfcerts/renew.env' && sh '$work/postinst.rooted' configure && grep -qx edited '$etc_root/etc/cfcerts/renew.env'"
# The service's command, expanded as systemd expands it (${X} one word, $X split), with a filled-in renew.env.
curl -sf -H 'Content-Type: application/json' -d '{"count": 2, "validity_days": 365, "issued_days_ago": 350, "common_name_prefix": "timer"}' \
  "$EMULATOR_ROOT/__emulator/zones/$zone/seed" >/dev/null
sed -e "s|^CLOUDFLARE_API_TOKEN=.*|CLOUDFLARE_API_TOKEN=cfcerts-emulator-token|" -e "s|^CLOUDFLARE_ZONE_ID=.*|CLOUDFLARE_ZONE_ID=$zone|" \
  -e "s|^CFCERTS_RENEW_OUT_DIR=.*|CFCERTS_RENEW_OUT_DIR=$work/renewed|" \
  -e "s|^CFCERTS_RENEW_OPTIONS=.*|CFCERTS_RENEW_OPTIONS=--revoke-old --metrics-file $work/cfcerts.prom|" \
  "$root/usr/share/cfcerts/renew.env" >"$work/renew.env"
exec_start=$(sed -n 's|^ExecStart=/usr/bin/|'"$root"'/usr/bin/|p' "$units/cfcerts-renew.service")
# systemd's environment files are KEY=value lines, values taken whole (spaces and all): read them so, not as shell.
check service_command_renews bash -c "set -a; eval \"\$(sed -n 's/^Environment=//p' '$units/cfcerts-renew.service')\"; set +a
  while IFS= read -r line; do case \$line in ''|'#'*) continue;; esac; export \"\$line\"; done <'$work/renew.env'
  $exec_start && ls '$work/renewed/'*.pem | wc -l | grep -qx 2 && grep -q cfcerts_certificate_expiry_timestamp_seconds '$work/cfcerts.prom'"

echo "deb: $passed passed, $failed failed ($(cd "$dist" && ls *.deb | tr '\n' ' '))"
[ "$failed" -eq 0 ]
