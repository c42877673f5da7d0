#!/usr/bin/env bash
# Installs what hipc needs beyond gcc and cmake, from Debian's packages.
# Usage: scripts/deps.sh [host|cross|uml|all]   (default: all)
set -euo pipefail
want=${1:-all}
pkgs=()
need() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed" || pkgs+=("$1"); }
case $want in
  host|all) need pkg-config; need python3; need gnuplot-nox; need socat ;;&
  # coverage of the release flavour (scripts/coverage.sh)
  host|all) need lcov ;;&
  # tests/net: the island's network (ping, a TCP stream, gPTP time sync)
  host|all) need iproute2; need iputils-ping; need linuxptp ;;&
  cross|all) need gcc-arm-none-eabi; need libnewlib-arm-none-eabi; need qemu-system-arm ;;&
  fuzz|all) command -v clang >/dev/null || need clang; need libclang-rt-dev ;;&
  uml|all) need flex; need bison; need bc; need xz-utils; need libelf-dev; need libssl-dev ;;&
  *) ;;
esac
if [ ${#pkgs[@]} -gt 0 ]; then
  echo "deps: installing ${pkgs[*]}"
  SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
fi
