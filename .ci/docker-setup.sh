#!/usr/bin/env bash
# .ci/docker-setup.sh -- provide a working Docker engine + local base image
# without any Docker Hub access (only Debian apt and PyPI are reachable).
#
#   1. installs Debian's docker.io (dockerd 20.10, containerd, runc),
#      iptables and debootstrap                         (skipped if present)
#   2. starts dockerd in the background unless a daemon already answers
#      `docker info`; falls back through safer daemon configurations if the
#      default one (overlay2 + bridge + iptables NAT) does not work
#   3. builds the base image `stainless-base:bookworm` with debootstrap
#      (python3, python3-venv, python3-pip, ca-certificates); the rootfs
#      tarball is cached in /var/cache/stainless/ so later runs only need
#      `docker import` (or nothing at all when the image already exists)
#   4. prints where the daemon is reachable (last line of output)
#
# Idempotent and safe to run concurrently (serialised with flock).  Must run
# as root.  See docs/container-infra.md.
#
# Environment knobs (all optional):
#   STAINLESS_DOCKERD_ARGS   dockerd flags to use instead of the built-in
#                            fallback list; one configuration per line, tried
#                            in order (e.g. "--storage-driver=vfs")
#   STAINLESS_DOCKERD_LOG    dockerd log file      (/tmp/stainless-dockerd.log)
#   STAINLESS_DOCKER_TIMEOUT seconds to wait for dockerd readiness      (60)
#   STAINLESS_DEBIAN_MIRROR  Debian mirror for debootstrap (default: the one
#                            apt already uses, else http://deb.debian.org/debian)
#   STAINLESS_BASE_IMAGE     image name              (stainless-base:bookworm)
#   STAINLESS_CACHE_DIR      rootfs tarball cache    (/var/cache/stainless)
#   STAINLESS_REBUILD_BASE=1 ignore cache/image and rebuild the rootfs
set -euo pipefail

log() { printf '[docker-setup] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root"

SUITE=bookworm
BASE_IMAGE="${STAINLESS_BASE_IMAGE:-stainless-base:${SUITE}}"
CACHE_DIR="${STAINLESS_CACHE_DIR:-/var/cache/stainless}"
DOCKERD_LOG="${STAINLESS_DOCKERD_LOG:-/tmp/stainless-dockerd.log}"
READY_TIMEOUT="${STAINLESS_DOCKER_TIMEOUT:-60}"
# Bump when the rootfs recipe below changes: invalidates the cached tarball
# and makes an existing image with an older label get re-imported.
RECIPE_VERSION=1
BASE_PACKAGES="python3,python3-venv,python3-pip,python-is-python3,ca-certificates"
TARBALL="${CACHE_DIR}/stainless-base-${SUITE}-r${RECIPE_VERSION}.tar.gz"
STATE_FILE=/run/stainless-dockerd.args   # flags of the daemon we started
DOCKER_SOCK=/var/run/docker.sock
export DEBIAN_FRONTEND=noninteractive

mkdir -p "$CACHE_DIR"
exec 9>"${CACHE_DIR}/.docker-setup.lock"
if ! flock -w 1800 9; then die "could not take ${CACHE_DIR}/.docker-setup.lock"; fi

# --------------------------------------------------------------------------
# 1. packages
# --------------------------------------------------------------------------
# Debian's engine (dockerd 20.10 + containerd + runc) and the rootfs builder.
# docker.io is skipped when some dockerd is already installed (e.g. Docker
# CE's docker-ce, which conflicts with docker.io).
required_pkgs() {
  if ! command -v dockerd >/dev/null 2>&1 || dpkg-query -W docker.io >/dev/null 2>&1; then
    printf '%s\n' docker.io containerd runc iptables
  fi
  printf '%s\n' debootstrap ca-certificates gzip
}

missing_pkgs() {
  local p
  for p in $(required_pkgs); do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' \
      || printf '%s ' "$p"
  done
}

install_packages() {
  local missing
  missing="$(missing_pkgs)"
  if [ -z "$missing" ]; then
    log "packages already installed"
    return
  fi
  log "installing: $missing"
  # Only refresh the package lists when apt does not know a package yet or
  # the install fails (stale lists -> 404 on the .deb).
  # shellcheck disable=SC2086
  if ! apt-cache show $missing >/dev/null 2>&1; then
    log "apt-get update"
    apt-get update -qq
  fi
  # Without systemd the postinst cannot start services (policy-rc.d, if
  # present, forbids it anyway) -- we run dockerd ourselves below.
  # shellcheck disable=SC2086
  if ! apt_install $missing >/dev/null 2>&1; then
    log "install failed; apt-get update and retry"
    apt-get update -qq
    # shellcheck disable=SC2086
    apt_install $missing >/dev/null
  fi
}

apt_install() {
  apt-get install -y -qq --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    "$@"
}

# --------------------------------------------------------------------------
# 2. daemon
# --------------------------------------------------------------------------
daemon_ok() { timeout 15 docker info >/dev/null 2>&1; }

dockerd_pid() {
  local pid
  pid="$(cat /var/run/docker.pid 2>/dev/null || true)"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null \
     && [ "$(basename "$(readlink "/proc/$pid/exe" 2>/dev/null)")" = dockerd ]; then
    echo "$pid"
  fi
}

# Candidate daemon configurations, tried in order until one works.
# Found on the Firecracker CI VM (kernel 6.x, cgroup v1, ext4 root): the first
# one (overlay2, default bridge with iptables NAT) works; the others are
# fallbacks for more restricted sandboxes.
dockerd_candidates() {
  if [ -n "${STAINLESS_DOCKERD_ARGS+x}" ]; then
    printf '%s\n' "$STAINLESS_DOCKERD_ARGS"
    return
  fi
  printf '%s\n' "--storage-driver=overlay2"
  if command -v fuse-overlayfs >/dev/null 2>&1 && [ -e /dev/fuse ]; then
    printf '%s\n' "--storage-driver=fuse-overlayfs"
  fi
  printf '%s\n' "--storage-driver=vfs"
  printf '%s\n' "--storage-driver=vfs --iptables=false --ip-masq=false"
  printf '%s\n' "--storage-driver=vfs --iptables=false --bridge=none"
}

common_dockerd_args() {
  local dev mtu
  # Match the container MTU to the uplink (eth0 is 1400 on the CI VM); a
  # 1500-byte bridge behind a smaller uplink can stall TLS downloads.
  dev="$(ip -o route show default 2>/dev/null | awk '{for(i=1;i<NF;i++) if($i=="dev"){print $(i+1); exit}}' || true)"
  if [ -n "$dev" ] && [ -r "/sys/class/net/$dev/mtu" ]; then
    mtu="$(cat "/sys/class/net/$dev/mtu")"
    if [ "$mtu" -lt 1500 ]; then printf -- '--mtu=%s ' "$mtu"; fi
  fi
  printf -- '--host=unix://%s ' "$DOCKER_SOCK"
}

stop_our_dockerd() {
  local pid i
  pid="$(dockerd_pid)"
  [ -n "$pid" ] || return 0
  log "stopping dockerd (pid $pid)"
  kill "$pid" 2>/dev/null || true
  for i in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
  kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
  rm -f "$STATE_FILE"
}

# start_dockerd "<flags>" -> 0 when the daemon answers within READY_TIMEOUT
start_dockerd() {
  local flags="$1" pid i
  # shellcheck disable=SC2046,SC2086  # word-splitting of the flag strings is intended
  set -- $(common_dockerd_args) $flags
  log "starting: dockerd $* (log: $DOCKERD_LOG)"
  {
    printf '\n===== %s dockerd %s =====\n' "$(date -u +%FT%TZ)" "$*"
  } >>"$DOCKERD_LOG"
  # setsid + nohup: the daemon must outlive this script and its CI step.
  # Close every inherited fd > 2 first: the flock fd (9) would otherwise keep
  # the lock held for the daemon's lifetime, and a CI runner's output pipe
  # would keep the step from finishing.
  (
    for fd in "/proc/$BASHPID/fd/"*; do
      fd="${fd##*/}"
      case "$fd" in 0|1|2|255) ;; *) eval "exec ${fd}>&-" 2>/dev/null || true ;; esac
    done
    exec setsid nohup dockerd "$@" >>"$DOCKERD_LOG" 2>&1 </dev/null
  ) &
  pid=$!
  for i in $(seq 1 "$READY_TIMEOUT"); do
    if daemon_ok; then
      printf '%s\n' "$flags" >"$STATE_FILE"
      log "dockerd ready after ${i}s (pid $pid)"
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null && [ -z "$(dockerd_pid)" ]; then
      log "dockerd exited: $(grep -E 'level=(error|fatal)|failed to start' "$DOCKERD_LOG" | tail -n 1)"
      return 1
    fi
    sleep 1
  done
  log "dockerd not ready after ${READY_TIMEOUT}s; last log lines:"
  tail -n 5 "$DOCKERD_LOG" >&2 || true
  kill "$pid" 2>/dev/null || true
  sleep 2
  return 1
}

# --------------------------------------------------------------------------
# 3. base image
# --------------------------------------------------------------------------
debian_mirror() {
  if [ -n "${STAINLESS_DEBIAN_MIRROR:-}" ]; then
    echo "$STAINLESS_DEBIAN_MIRROR"; return
  fi
  local m=""
  # deb822 sources (bookworm default) ...
  if ls /etc/apt/sources.list.d/*.sources >/dev/null 2>&1; then
    m="$(awk '
      /^[[:space:]]*$/ { if (uri != "" && suite) { print uri; exit } uri=""; suite=0; next }
      tolower($1)=="uris:" { uri=$2 }
      tolower($1)=="suites:" { for (i=2;i<=NF;i++) if ($i=="'"$SUITE"'") suite=1 }
      END { if (uri != "" && suite) print uri }' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1)"
  fi
  # ... or one-line sources.list
  if [ -z "$m" ]; then
    m="$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
      | awk '$1=="deb" { for (i=2;i<=NF;i++) if ($i !~ /^\[/) { if ($(i+1)=="'"$SUITE"'") { print $i; exit } break } }' \
      | head -n1)"
  fi
  echo "${m:-http://deb.debian.org/debian}"
}

image_recipe() {
  docker image inspect -f '{{ index .Config.Labels "org.stainless.base.recipe" }}' "$BASE_IMAGE" 2>/dev/null || true
}

build_rootfs_tarball() {
  local mirror sec_mirror root t0 t1
  mirror="$(debian_mirror)"
  # Security updates live on a sibling archive (debian -> debian-security).
  sec_mirror="${mirror%/debian}/debian-security"
  [ "$sec_mirror" != "$mirror" ] || sec_mirror="http://deb.debian.org/debian-security"
  root="$(mktemp -d /var/tmp/stainless-rootfs.XXXXXX)"
  # shellcheck disable=SC2064
  trap "umount -l '$root/proc' 2>/dev/null || true; rm -rf '$root'" EXIT
  log "debootstrap --variant=minbase $SUITE from $mirror (include: $BASE_PACKAGES)"
  t0=$(date +%s)
  debootstrap --variant=minbase --include="$BASE_PACKAGES" \
    "$SUITE" "$root" "$mirror" >"${root}.debootstrap.log" 2>&1 \
    || { tail -n 30 "${root}.debootstrap.log" >&2; rm -f "${root}.debootstrap.log"; die "debootstrap failed"; }
  rm -f "${root}.debootstrap.log"
  t1=$(date +%s)
  log "debootstrap took $((t1 - t0))s"

  # apt sources incl. updates + security, then apply pending updates.
  rm -f "$root/etc/apt/sources.list"
  cat >"$root/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: $SUITE ${SUITE}-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $sec_mirror
Suites: ${SUITE}-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  # Keep later `apt-get install` inside images small (same as the official
  # debian:*-slim images) and never keep .deb files / lists around.
  cat >"$root/etc/dpkg/dpkg.cfg.d/docker-minimal" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
EOF
  cat >"$root/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
  printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' \
    >"$root/etc/apt/apt.conf.d/docker-no-recommends"
  printf 'Acquire::Languages "none";\n' >"$root/etc/apt/apt.conf.d/docker-no-languages"

  mount -t proc proc "$root/proc"
  log "applying ${SUITE}-updates / ${SUITE}-security"
  # (_apt privilege drop does not work on the fresh chroot -> run as root)
  chroot "$root" /bin/sh -ec '
    apt_() { apt-get -o APT::Sandbox::User=root "$@"; }
    apt_ update -qq
    DEBIAN_FRONTEND=noninteractive apt_ -y -qq dist-upgrade >/dev/null 2>&1
    apt_ clean
  '
  umount "$root/proc"

  # Slim down.
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/* \
         "$root"/var/cache/debconf/*-old "$root"/var/lib/dpkg/*-old \
         "$root"/usr/share/man/* "$root"/usr/share/info/* \
         "$root"/usr/share/groff/* "$root"/usr/share/lintian/* \
         "$root"/usr/share/locale/* "$root"/var/log/* "$root"/tmp/* "$root"/var/tmp/*
  find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null || true
  find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || true
  find "$root/usr/lib/python3" "$root/usr/lib/python3.11" -name __pycache__ -type d \
    -prune -exec rm -rf {} + 2>/dev/null || true
  # Container-friendly bits.
  : >"$root/etc/machine-id"
  printf 'stainless\n' >"$root/etc/hostname"
  rm -f "$root/etc/resolv.conf" "$root/etc/hosts"   # provided by docker at run time

  log "writing $TARBALL"
  tar --numeric-owner --xattrs -C "$root" -c . | gzip -1 >"${TARBALL}.tmp"
  mv -f "${TARBALL}.tmp" "$TARBALL"
  rm -rf "$root"
  trap - EXIT
}

import_base_image() {
  local t0 t1 old_id new_id
  old_id="$(docker image inspect -f '{{.Id}}' "$BASE_IMAGE" 2>/dev/null || true)"
  t0=$(date +%s)
  docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change "LABEL org.stainless.base.recipe=${RECIPE_VERSION}" \
    --change "LABEL org.stainless.base.suite=${SUITE}" \
    --change 'CMD ["python3"]' \
    "$TARBALL" "$BASE_IMAGE" >/dev/null
  t1=$(date +%s)
  log "imported $BASE_IMAGE from $TARBALL in $((t1 - t0))s"
  new_id="$(docker image inspect -f '{{.Id}}' "$BASE_IMAGE")"
  if [ -n "$old_id" ] && [ "$old_id" != "$new_id" ]; then
    # drop the previous (now untagged) base; fails harmlessly while in use
    docker rmi "$old_id" >/dev/null 2>&1 || true
  fi
}

ensure_base_image() {
  if [ "${STAINLESS_REBUILD_BASE:-0}" = 1 ]; then
    rm -f "$TARBALL"
  elif [ "$(image_recipe)" = "$RECIPE_VERSION" ]; then
    log "$BASE_IMAGE already present"
    return
  fi
  [ -s "$TARBALL" ] || build_rootfs_tarball
  import_base_image
  # drop rootfs tarballs of older recipes
  find "$CACHE_DIR" -maxdepth 1 -name "stainless-base-${SUITE}-r*.tar.gz" \
    ! -name "$(basename "$TARBALL")" -delete 2>/dev/null || true
}

smoke_test() {
  timeout 120 docker run --rm --network none "$BASE_IMAGE" python3 -c 'import venv, ensurepip' >/dev/null 2>&1
}

# --------------------------------------------------------------------------
main() {
  install_packages

  if ! daemon_ok && [ -n "$(dockerd_pid)" ]; then
    log "dockerd (pid $(dockerd_pid)) is running but not answering yet; waiting up to ${READY_TIMEOUT}s"
    for _ in $(seq 1 "$READY_TIMEOUT"); do daemon_ok && break; sleep 1; done
    daemon_ok || die "dockerd (pid $(dockerd_pid)) does not answer; not touching a daemon this script did not start (see $DOCKERD_LOG)"
  fi

  if daemon_ok; then
    log "docker daemon already answering ($(docker info -f '{{.ServerVersion}}, storage {{.Driver}}' 2>/dev/null))"
    ensure_base_image
    smoke_test || die "a container from $BASE_IMAGE failed to run on the existing daemon"
  else
    local flags candidates ok=0 started=0
    mapfile -t candidates < <(dockerd_candidates)
    for flags in "${candidates[@]}"; do
      # only ever stop a daemon that this loop started itself
      [ "$started" = 0 ] || stop_our_dockerd
      started=1
      start_dockerd "$flags" </dev/null || continue
      ensure_base_image </dev/null
      if smoke_test </dev/null; then ok=1; break; fi
      log "containers do not run with '$flags'; trying next configuration"
    done
    [ "$ok" = 1 ] || die "no working dockerd configuration (see $DOCKERD_LOG)"
  fi

  local host="${DOCKER_HOST:-unix://${DOCKER_SOCK}}"
  echo "docker ready: DOCKER_HOST=${host} ($(docker info -f 'server {{.ServerVersion}}, storage {{.Driver}}' 2>/dev/null); base image ${BASE_IMAGE}; dockerd log ${DOCKERD_LOG})"
}

main "$@"
