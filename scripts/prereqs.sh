#!/usr/bin/env bash
# Installs what AutoAgent needs on Debian 12 (the Swift toolchain is assumed present).
# Idempotent and quick when everything is already installed.
set -euo pipefail

apt_packages=(
  pkg-config
  libseccomp-dev
  libcap-dev
  libzstd-dev
  libcurl4-openssl-dev
  libsqlite3-dev
  bubblewrap
  util-linux
  iproute2
  # The local model's server is checked and reached with it (scripts/local-model.sh).
  curl
  # The default base of task environments: what the bundled tasks in examples/tasks need.
  python3
  git
  gcc
  make
  # A real one-node Slurm cluster for the SlurmTests (scripts/slurm-test-cluster.sh starts it).
  slurm-wlm
  munge
)

missing=()
for p in "${apt_packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "prereqs: installing ${missing[*]}"
  sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v swift >/dev/null 2>&1; then
  echo "prereqs: the Swift toolchain (6.1 or later) must be on PATH" >&2
  exit 1
fi
