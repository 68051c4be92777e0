#!/usr/bin/env bash
# Runs one ecosync command for the composite action (action.yml), with its inputs passed as data.
#
#   INPUT_COMMAND  the binary and its subcommand, words separated by spaces: `dispatcher dispatch`,
#                  `subscriber apply`. The first word must be `dispatcher` or `subscriber`.
#   INPUT_ARGS     extra arguments, ONE PER LINE, each passed as it is: no quoting, no globbing, no
#                  variable or command expansion (a line `--base=$X` passes those characters literally).
#                  Blank lines are skipped; leading and trailing spaces and tabs of a line are trimmed.
#
#   INPUT_TOKEN    the input `token`: exported as ECOSYNC_TOKEN for the command when not empty (an
#                  ECOSYNC_TOKEN from the step's `env:` is kept otherwise). It is never an argument, so it
#                  never shows in a process list or a log.
set -euo pipefail

if [ -n "${INPUT_TOKEN:-}" ]; then
  export ECOSYNC_TOKEN="$INPUT_TOKEN"
fi
unset INPUT_TOKEN

read -r -a command <<<"${INPUT_COMMAND:-}"
if [ "${#command[@]}" -eq 0 ]; then
  echo "::error title=ecosync::the input \`command\` is empty (hint: for example \`dispatcher dispatch\` or \`subscriber apply\`)"
  exit 2
fi
case "${command[0]}" in
  dispatcher | subscriber) ;;
  *)
    echo "::error title=ecosync::the input \`command\` must start with \`dispatcher\` or \`subscriber\`, not \`${command[0]//[^A-Za-z0-9._-]/?}\`"
    exit 2
    ;;
esac

args=()
while IFS= read -r line || [ -n "$line" ]; do
  line="${line%$'\r'}"
  # Trim spaces and tabs at both ends, without any expansion.
  line="${line#"${line%%[![:blank:]]*}"}"
  line="${line%"${line##*[![:blank:]]}"}"
  if [ -n "$line" ]; then args+=("$line"); fi
done <<<"${INPUT_ARGS:-}"

exec "${command[@]}" "${args[@]}"
