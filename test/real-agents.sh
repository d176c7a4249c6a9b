#!/usr/bin/env bash
# npm run test:agents [-- --latest]: runs every test that drives a real agent CLI (those that
# take their environment from claudeEnv or opencodeEnv in test/helpers/real-agents.ts), one
# file at a time: against the pinned devDependencies, or with --latest against the newest
# releases of opencode-ai and @anthropic-ai/claude-code on the registry, installed into a
# temporary directory (node_modules and package-lock.json stay as they are).
set -euo pipefail
cd "$(dirname "$0")/.."

latest=0
for arg in "$@"; do
  case "$arg" in
    --latest) latest=1 ;;
    *) echo "npm run test:agents takes --latest or nothing, not '$arg'." >&2; exit 2 ;;
  esac
done

npm run --silent build
if [ "$latest" = 1 ]; then
  prefix=$(mktemp -d)
  trap 'rm -rf "$prefix"' EXIT
  # Their install scripts put each agent's native binary in place: npm runs them for packages
  # installed by name, as here.
  npm install --prefix "$prefix" --no-save --no-package-lock --no-audit --no-fund opencode-ai@latest @anthropic-ai/claude-code@latest >/dev/null
  export ORCHESTRA_TEST_AGENT_BIN="$prefix/node_modules/.bin"
fi
bin=${ORCHESTRA_TEST_AGENT_BIN:-node_modules/.bin}
echo "== Claude Code $("$bin/claude" --version | cut -d' ' -f1), OpenCode $("$bin/opencode" --version) (from $bin)"

tests=$(grep -rlE 'claudeEnv|opencodeEnv' dist/test --include='*.test.js' | sort)
# shellcheck disable=SC2086 # one word per test file
node --test --test-concurrency=1 $tests
