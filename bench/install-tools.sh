#!/usr/bin/env bash
# Installs what bench/ compares Orchestra against — tmux and dtach, from Debian's packages —
# when they are missing. Never fails: a bench leaves out what it cannot find, and the tests
# do not need either.
missing=()
for tool in tmux dtach; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""; [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && sudo="sudo -n"
if command -v apt-get >/dev/null 2>&1 && { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >/dev/null 2>&1; then
  echo "== installed ${missing[*]} for bench/"
else
  echo "== could not install ${missing[*]}; bench/ leaves them out"
fi
