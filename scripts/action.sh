#!/usr/bin/env bash
# The step of the repolint GitHub Action (action.yml). Inputs arrive only as environment
# variables set by the step's `env:`; none is ever spliced into a command line to be
# re-parsed by the shell (paths and args are split on whitespace, never glob-expanded or
# eval'd).
#
#   REPOLINT_PATHS       folders / files to lint, whitespace-separated (default ".")
#   REPOLINT_ARGS        extra `repolint check` options, whitespace-separated
#   REPOLINT_VERSION     pip requirement: "" = the action's checkout, "0.1.0" = repolint==0.1.0,
#                        anything else as given ("repolint>=0.1", a path, a URL)
#   REPOLINT_INSTALL     "false": use the repolint on PATH, install nothing
#   REPOLINT_PYTHON      interpreter for repolint's virtualenv (default python3 on PATH)
#   REPOLINT_SARIF       "true": also write SARIF to REPOLINT_SARIF_FILE (default repolint.sarif)
#
#   PIP_CACHE_DIR        pip's cache (action.yml restores and saves it with actions/cache)
#
# repolint lints once, writing its JSON report; the annotations (--format github), the full
# report for the log, the SARIF file and $GITHUB_STEP_SUMMARY are all rendered from that one
# report (python -m repolint.reporters.convert, the reporters `repolint check` uses, and
# scripts/action_summary.py). The step exits with repolint's exit code: 0 clean, 1 findings at
# or above --fail-on, 2 could not lint.
set -uo pipefail

action_path=${GITHUB_ACTION_PATH:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
tmp=${RUNNER_TEMP:-${TMPDIR:-/tmp}}
summary_file=${GITHUB_STEP_SUMMARY:-}
output_file=${GITHUB_OUTPUT:-}

# a value inside a workflow command: no newline may start a command of its own
escape_data() {
  local s=${1//'%'/%25}
  s=${s//$'\r'/%0D}
  printf '%s' "${s//$'\n'/%0A}"
}

die() {  # usage / setup error: an annotation, then exit 2
  printf '::error title=repolint::%s\n' "$(escape_data "$1")"
  [[ -n $output_file ]] && printf 'exit-code=2\n' >>"$output_file"
  exit 2
}

is_true() {
  case "$(printf '%s' "$1" | tr '[:upper:]' '[:lower:]')" in
    true | yes | 1 | on) return 0 ;;
    false | no | 0 | off | "") return 1 ;;
    *) die "expected \"true\" or \"false\", got \"$1\"" ;;
  esac
}

read -r -d '' -a paths <<<"${REPOLINT_PATHS:-}" || true
read -r -d '' -a args <<<"${REPOLINT_ARGS:-}" || true
[[ ${#paths[@]} -eq 0 ]] && paths=(.)
# ${args[@]+"${args[@]}"}: an empty "${args[@]}" fails under `set -u` in bash < 4.4 (macOS)

sarif_file=${REPOLINT_SARIF_FILE:-repolint.sarif}
want_sarif=false
is_true "${REPOLINT_SARIF:-false}" && want_sarif=true

# -- install ---------------------------------------------------------------------------------
if is_true "${REPOLINT_INSTALL:-true}"; then
  python=${REPOLINT_PYTHON:-}
  if [[ -z $python ]]; then
    python=$(command -v python3 || command -v python) || die "no python3 on PATH to install repolint with"
  fi
  version=${REPOLINT_VERSION:-}
  if [[ -z $version ]]; then
    spec=$action_path
  elif [[ $version =~ ^[0-9][0-9A-Za-z.+!-]*$ ]]; then
    spec="repolint==$version"
  else
    spec=$version
  fi
  venv="$tmp/repolint-venv"
  echo "::group::Install repolint ($(escape_data "$spec"))"
  "$python" -m venv "$venv" || die "could not create a virtualenv with $python"
  py="$venv/bin/python"
  [[ -x $py ]] || py="$venv/Scripts/python.exe"
  "$py" -m pip install --disable-pip-version-check --quiet "$spec" || die "pip could not install $spec"
  echo "::endgroup::"
  repolint=("$py" -m repolint)
  rpy=$py
else
  exe=$(command -v repolint) || die "install is \"false\" but there is no repolint on PATH"
  repolint=(repolint)
  py=$(command -v python3 || command -v python) || die "no python3 on PATH for the job summary"
  # the interpreter repolint is installed in (its console script's shebang), for the converter
  rpy=
  read -r shebang <"$exe" || true
  for candidate in "${shebang#\#!}" "$py"; do
    if [[ -n $candidate && $candidate != *" "* ]] && "$candidate" -c 'import repolint.reporters.convert' 2>/dev/null; then
      rpy=$candidate
      break
    fi
  done
  [[ -n $rpy ]] || die "found no Python that imports the repolint on PATH (needed to render its report)"
fi
"${repolint[@]}" --version

# -- lint, once -----------------------------------------------------------------------------------
# the action's --format and -o come last, so they win over any in REPOLINT_ARGS
report="$tmp/repolint-report-$$.json"
rm -f "$report"
"${repolint[@]}" check "${paths[@]}" ${args[@]+"${args[@]}"} --format json -o "$report"
rc=$?

convert=("$rpy" -m repolint.reporters.convert "$report")
summary_args=("$report" --exit-code "$rc" --paths "${paths[*]}")
if [[ -s $report ]]; then
  "${convert[@]}" --format github  # the annotations
  # the full report, with code frames, for the log; workflow commands in it are not obeyed
  # (its text quotes the linted files)
  token=$("$py" -c 'import secrets; print(secrets.token_hex(16))')
  echo "::group::repolint report"
  echo "::stop-commands::$token"
  "${convert[@]}" --format full
  echo "::$token::"
  echo "::endgroup::"
fi

if $want_sarif; then
  rm -f "$sarif_file"
  [[ -s $report ]] && "${convert[@]}" --format sarif -o "$sarif_file"
  if [[ -s $sarif_file ]]; then
    summary_args+=(--sarif-file "$sarif_file")
    [[ -n $output_file ]] && printf 'sarif-file=%s\n' "$sarif_file" >>"$output_file"
  else
    printf '::warning title=repolint::%s\n' "$(escape_data "no SARIF report was written to $sarif_file")"
  fi
fi
[[ -n $output_file ]] && summary_args+=(--outputs "$output_file")

if [[ -n $summary_file ]]; then
  "$py" "$action_path/scripts/action_summary.py" "${summary_args[@]}" >>"$summary_file" ||
    echo "::warning title=repolint::could not write the job summary"
else
  "$py" "$action_path/scripts/action_summary.py" "${summary_args[@]}" >/dev/null
fi
rm -f "$report"

[[ -n $output_file ]] && printf 'exit-code=%s\n' "$rc" >>"$output_file"
exit "$rc"
