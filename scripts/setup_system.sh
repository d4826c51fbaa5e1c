#!/usr/bin/env bash
# System packages Hearth's tests and audio need on Debian/Ubuntu (macOS needs none: wheels bundle them).
# Idempotent; quiet when everything is already there.
set -euo pipefail
if [[ "$(uname -s)" != "Linux" ]] || ! command -v apt-get >/dev/null; then exit 0; fi
PKGS=(libportaudio2 libsndfile1 espeak-ng sox libopenblas0-pthread
      libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3 libglib2.0-0
      fonts-dejavu-core xvfb pulseaudio libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0)
missing=()
for p in "${PKGS[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]})); then
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
