#!/usr/bin/env bash
# Puts xiaozhi-ota-proxy beside an official xiaozhi-esp32-server Docker deployment and starts it.
# docs/deploy.md explains every step; this script only saves the typing.
#
#   deploy/docker/install.sh [--legacy] [--no-up] single|full [SERVER_DIR]
#
#   single      the single server: SERVER_DIR holds docker-compose.yml; devices use port 8003
#   full        the full deployment: SERVER_DIR holds docker-compose_all.yml; devices use port 8002
#   SERVER_DIR  that folder (default: the current one). Its compose file is not modified.
#   --legacy    Docker Compose older than 2.24.4 (no `!override` / `!reset`): delete the OTA port's line
#               from the official file instead (the original is kept as <file>.orig)
#   --no-up     copy and configure only; do not run docker compose
#
# Copies into SERVER_DIR: the compose override files (replaced on every run: they are the recipe; put
# your own changes in a further override file), ota-proxy/config/proxy.yaml, ota-proxy/firmware/ and
# ota-proxy/tls/ (never replaced once there: they are yours). Adds to SERVER_DIR/.env the variables it
# does not set yet: COMPOSE_FILE (so that a plain `docker compose …` there includes the proxy),
# OTA_PROXY_SRC (this repository, the image's build context) and OTA_PROXY_ADMIN_TOKEN (a new random
# token for /admin). Then runs `docker compose -f … up -d --build`.
set -euo pipefail

usage() {
  sed -n '5,13p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

legacy=0
up=1
layout=''
server_dir='.'
positional=0
for arg in "$@"; do
  case "$arg" in
    --legacy) legacy=1 ;;
    --no-up) up=0 ;;
    -h | --help) usage ;;
    -*) echo "install.sh: unknown option $arg" >&2 && usage ;;
    *)
      positional=$((positional + 1))
      case "$positional" in
        1) layout="$arg" ;;
        2) server_dir="$arg" ;;
        *) usage ;;
      esac
      ;;
  esac
done

case "$layout" in
  single)
    official='docker-compose.yml'
    prefix='docker-compose'
    ota_port=8003
    ;;
  full)
    official='docker-compose_all.yml'
    prefix='docker-compose_all'
    ota_port=8002
    ;;
  *) usage ;;
esac
override="$prefix.ota-proxy.yml"
ports_file="$prefix.ota-proxy.ports.yml"

repo="$(cd "$(dirname "$0")/../.." && pwd)"
recipe="$repo/deploy/docker"
cd "$server_dir"
server_dir="$(pwd)"
if [ ! -f "$official" ]; then
  echo "install.sh: no $official in $server_dir: run this in the folder of the official $layout deployment (or name it)" >&2
  exit 1
fi

# The line of the official file that publishes the OTA port: what --legacy deletes.
port_line="^[[:space:]]*-[[:space:]]*[\"']?${ota_port}:${ota_port}[\"']?[[:space:]]*(#.*)?$"

# version_at_least A B: A >= B, comparing dotted numbers (a suffix such as -desktop.1 is ignored).
version_at_least() {
  local IFS=.
  local -a a b
  read -r -a a <<<"${1%%[!0-9.]*}"
  read -r -a b <<<"$2"
  local i x y
  for i in 0 1 2; do
    x="${a[i]:-0}"
    y="${b[i]:-0}"
    if ((10#$x > 10#$y)); then return 0; fi
    if ((10#$x < 10#$y)); then return 1; fi
  done
  return 0
}

compose=()
if [ "$up" = 1 ]; then
  if docker compose version >/dev/null 2>&1; then
    compose=(docker compose)
  else
    echo "install.sh: Docker Compose v2 (the \`docker compose\` command) is needed" >&2
    exit 1
  fi
  version="$(docker compose version --short)"
  version="${version#v}"
  if [ "$legacy" = 0 ] && ! version_at_least "$version" 2.24.4; then
    echo "install.sh: Docker Compose $version cannot remove a published port from an override (needs 2.24.4)." >&2
    echo "Update Docker Compose, or run again with --legacy: that deletes the line publishing $ota_port from $official (keeping $official.orig)." >&2
    exit 1
  fi
fi

# Deletes the port's line, and the `ports:` line above it when that was its only entry (Compose refuses
# an empty `ports:`). Keeps everything else byte for byte, a missing last newline included.
drop_port_line() {
  local final_newline=1
  [ -n "$(tail -c 1 "$1")" ] && final_newline=0
  awk -v re="$port_line" -v final_newline="$final_newline" '
    { line[NR] = $0 }
    END {
      for (i = 1; i <= NR; i++) if (line[i] ~ re) hit = i
      drop[hit] = 1
      p = hit - 1
      while (p > 0 && line[p] ~ /^[[:space:]]*(#.*)?$/) p--
      n = hit + 1
      while (n <= NR && line[n] ~ /^[[:space:]]*(#.*)?$/) n++
      if (p > 0 && line[p] ~ /^[[:space:]]*ports:[[:space:]]*$/ && !(n <= NR && line[n] ~ /^[[:space:]]*-/)) drop[p] = 1
      out = 0
      for (i = 1; i <= NR; i++) {
        if (i in drop) continue
        if (out++) printf "\n"
        printf "%s", line[i]
      }
      if (final_newline) printf "\n"
    }' "$1"
}

if [ "$legacy" = 1 ]; then
  matches="$(grep -cE "$port_line" "$official" || true)"
  if [ "$matches" = 1 ]; then
    cp -p "$official" "$official.orig"
    drop_port_line "$official.orig" >"$official"
    echo "edited $official: it no longer publishes $ota_port (the original is $official.orig)"
  elif [ "$matches" = 0 ]; then
    echo "$official publishes no $ota_port:$ota_port line: nothing to edit"
  else
    echo "install.sh: $official has $matches lines publishing $ota_port: edit it by hand" >&2
    exit 1
  fi
fi

# The recipe: replaced on every run.
cp "$recipe/$layout/$override" "$override"
if [ "$legacy" = 1 ]; then
  rm -f "$ports_file"
else
  cp "$recipe/$layout/$ports_file" "$ports_file"
fi
if [ "$legacy" = 1 ]; then echo "copied $override"; else echo "copied $override and $ports_file"; fi

# The user's files: created once, never replaced.
copy_once() {
  if [ -e "$2" ]; then
    echo "kept $2 (already there)"
  else
    mkdir -p "$(dirname "$2")"
    cp "$1" "$2"
    echo "created $2"
  fi
}
copy_once "$recipe/$layout/proxy.yaml" ota-proxy/config/proxy.yaml
copy_once "$recipe/ota-proxy/firmware/catalog.yaml" ota-proxy/firmware/catalog.yaml
copy_once "$recipe/ota-proxy/tls/README.md" ota-proxy/tls/README.md

# .env: Compose reads it from the project folder, for interpolation and for COMPOSE_FILE.
env_value() {
  if [[ "$1" =~ ^[A-Za-z0-9_./:+@-]+$ ]]; then printf '%s' "$1"; else printf "'%s'" "$1"; fi
}
add_env() {
  if [ -f .env ] && grep -qE "^[[:space:]]*$1=" .env; then
    echo "kept $1 in .env"
  else
    # A last line without its newline would run into ours.
    if [ -s .env ] && [ -n "$(tail -c 1 .env)" ]; then echo >>.env; fi
    printf '%s=%s\n' "$1" "$(env_value "$2")" >>.env
    echo "added $1 to .env"
  fi
}
# COMPOSE_FILE is the recipe's: brought up to date when it is one this script writes, else left alone.
modern="$official:$override:$ports_file"
older="$official:$override"
wanted="$modern"
[ "$legacy" = 1 ] && wanted="$older"
current=''
[ -f .env ] && current="$(sed -nE 's/^[[:space:]]*COMPOSE_FILE=//p' .env | tail -n 1)"
if [ "$current" = "$modern" ] || [ "$current" = "$older" ]; then
  if [ "$current" != "$wanted" ]; then
    sed -E "s|^[[:space:]]*COMPOSE_FILE=.*|COMPOSE_FILE=$wanted|" .env >.env.new && mv .env.new .env
    echo "updated COMPOSE_FILE in .env"
  else
    echo "kept COMPOSE_FILE in .env"
  fi
elif [ -n "$current" ]; then
  echo "kept COMPOSE_FILE in .env as you set it; it should include $wanted" >&2
else
  add_env COMPOSE_FILE "$wanted"
fi
add_env OTA_PROXY_SRC "$repo"
add_env OTA_PROXY_ADMIN_TOKEN "$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')"

args=(-f "$official" -f "$override")
[ "$legacy" = 0 ] && args+=(-f "$ports_file")
if [ "$up" = 0 ]; then
  echo "to start: ${compose[*]:-docker compose} ${args[*]} up -d --build"
  exit 0
fi
echo "+ ${compose[*]} ${args[*]} up -d --build"
"${compose[@]}" "${args[@]}" up -d --build
echo "Devices keep using http://<this host>:$ota_port/xiaozhi/ota/. From now on, a plain \`docker compose …\` in"
echo "$server_dir includes the proxy (COMPOSE_FILE in .env). The admin token is OTA_PROXY_ADMIN_TOKEN in .env."
