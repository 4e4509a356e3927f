#!/usr/bin/env bash
# Install Debian's wrk (the HTTP load generator `make bench` drives the pages with) when it
# is missing and we are root with apt.
set -u
if command -v wrk >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
else
  echo "wrk is missing: install Debian's wrk package (apt-get install wrk)" >&2
  exit 1
fi
