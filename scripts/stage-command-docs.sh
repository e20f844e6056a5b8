#!/usr/bin/env bash
# Stages what documents the commands, under STAGE/share: a man page per command and subcommand (swift-argument-
# parser's generate-manual, run over the staged commands) and completions for bash, zsh and fish (the commands'
# own --generate-completion-script), in the folders those shells read.
# Usage: scripts/stage-command-docs.sh STAGE ARGUMENT_PARSER_CHECKOUT
set -euo pipefail
stage=$1 parser=$2
top=$(pwd)
# Quiet when it works; SwiftPM prints its errors on stdout, so a failed build shows its log.
mkdir -p "$top/.build-manual"
log=$top/.build-manual/build.log
if ! swift build --package-path "$parser" --scratch-path "$top/.build-manual" --product generate-manual >"$log" 2>&1; then
  echo "stage-command-docs: building generate-manual from $parser failed:" >&2
  tail -n 40 "$log" >&2
  exit 1
fi
generate_manual=$top/.build-manual/debug/generate-manual
# The pages carry the date of the release in the changelog, not of the build.
date=$(date -u -d "$(sed -n 's/^ -- .*>  //p' packaging/deb/changelog | head -n 1)" +%F)

share=$stage/share
rm -rf "$share"
install -d "$share/man/man1" "$share/bash-completion/completions" "$share/zsh/vendor-completions" \
  "$share/fish/vendor_completions.d"
for command in cfcerts cfcerts-emulator; do
  "$generate_manual" "$stage/bin/$command" --multi-page --date "$date" --section 1 --output-directory "$share/man/man1"
done
cd "$share/man/man1"
rm -f cfcerts.help.1 cfcerts-emulator.help.1  # the generated `help` subcommands: `man cfcerts` covers them
# Pages named as git's are: cfcerts-renew(1), NAME "cfcerts-renew" (what whatis/apropos index), SYNOPSIS still
# "cfcerts renew". generate-manual leaves a blank line between paragraphs, which mdoc warns about: .Pp is its break.
for page in cfcerts.*.1; do
  sub=${page#cfcerts.} sub=${sub%.1}
  sed -e "s/^\.Dt CFCERTS\.[A-Z]* /.Dt CFCERTS-${sub^^} /" -e "s/^\.Nm \"cfcerts $sub\"\$/.Nm cfcerts-$sub/" \
    -e "s/^\.Nm\$/.Nm \"cfcerts $sub\"/" "$page" >"cfcerts-$sub.1"
  rm "$page"
done
sed -i -e 's/^$/.Pp/' -e 's/^\.Xr cfcerts\.\([a-z]*\) /.Xr cfcerts-\1 /' -e '/^\.Xr cfcerts-help /d' *.1
cd "$top"

# bash sources completions: no #! line (lintian: bash-completion-with-hashbang).
"$stage/bin/cfcerts" --generate-completion-script bash | sed '1{/^#!/d}' >"$share/bash-completion/completions/cfcerts"
"$stage/bin/cfcerts" --generate-completion-script zsh >"$share/zsh/vendor-completions/_cfcerts"
"$stage/bin/cfcerts" --generate-completion-script fish >"$share/fish/vendor_completions.d/cfcerts.fish"
echo "staged $(ls "$share/man/man1" | wc -l) man pages and 3 completion scripts in $share"
