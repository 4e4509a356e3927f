#!/usr/bin/env bash
# Install Debian's chromium and chromium-driver for the end-to-end tests when they are
# missing and we are root with apt. Prints what happened; never fails the build itself
# (the caller decides whether the browser tests are required).
set -u
if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
  echo "chromium and chromedriver present"
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing chromium and chromium-driver"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null \
    || echo "could not install chromium; browser tests will be skipped" >&2
else
  echo "chromium is not installed and cannot be installed here; browser tests will be skipped" >&2
fi
