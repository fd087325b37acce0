#!/usr/bin/env bash
# install.sh installs perfgate for the composite action in ../action.yml. It must run on the
# bash 3.2 that macOS runners ship: no globstar, no ${v,,}, no mapfile, no associative
# arrays, and empty arrays only as ${a[@]+"${a[@]}"} (set -u). internal/lint tests it.
#
#   install.sh plan    decide how to install; install a release binary if that is the plan
#   install.sh build   build from the action's source with the Go that plan chose
#
# plan, in this order:
#   1. reuse the perfgate an earlier step of this job installed from the same action ref;
#   2. with install auto or release and an action ref that is a release tag (v1.2.3):
#      download perfgate_<tag>_<os>_<arch> and perfgate_<tag>_checksums.txt from that
#      release and verify the SHA-256; a mismatch is an error, never a fallback;
#   3. otherwise find a Go at least as new as go.mod's go line: the go on PATH, else the
#      newest suitable one in the runner's tool cache; if there is none, tell the action to
#      run actions/setup-go. The check runs with GOTOOLCHAIN=local outside any module, so it
#      never downloads a toolchain.
#
# Environment: PG_INSTALL (auto|release|source), PG_ACTION_REF, PG_ACTION_REPO,
# PG_SERVER_URL, PG_GO (build: the go to use, "" for the one on PATH), and the runner's
# GITHUB_ACTION_PATH, GITHUB_OUTPUT, GITHUB_PATH, RUNNER_TEMP, RUNNER_OS, RUNNER_ARCH,
# RUNNER_TOOL_CACHE.
set -euo pipefail

die() { # die CODE MESSAGE
  echo "::error title=perfgate::$2"
  exit "$1"
}

output() { echo "$1=$2" >>"$GITHUB_OUTPUT"; }

action_path=${GITHUB_ACTION_PATH:?GITHUB_ACTION_PATH is not set}
bin="${RUNNER_TEMP:-/tmp}/perfgate/bin"
exe=perfgate
if [ "${RUNNER_OS:-}" = Windows ]; then exe=perfgate.exe; fi
stamp="$bin/.installed-from"

# go_required prints go.mod's go line (for example 1.26.0).
go_required() {
  local line
  line=$(grep -E '^go [0-9]' "$action_path/go.mod" | head -n 1) || true
  [ -n "$line" ] || die 3 "no go line in $action_path/go.mod"
  echo "${line#go }"
}

# version_fields V prints "MAJOR MINOR PATCH RELEASE" for a Go version such as go1.26.0,
# 1.26, 1.26rc1 or "devel go1.27-abcdef"; RELEASE is 0 for a pre-release. Nothing is printed
# for something that is not a version.
version_fields() {
  local v=$1 rel=1 major minor patch rest
  v=${v#devel }
  v=${v#go}
  v=${v%%[-+ ]*}
  case $v in
    *rc* | *beta* | *alpha*)
      rel=0
      v=${v%%[a-z]*}
      ;;
  esac
  major=${v%%.*}
  rest=${v#"$major"}
  rest=${rest#.}
  minor=${rest%%.*}
  patch=${rest#"$minor"}
  patch=${patch#.}
  case "$major.${minor:-0}.${patch:-0}" in
    *[!0-9.]* | .* | *..*) return 0 ;;
  esac
  echo "$major ${minor:-0} ${patch:-0} $rel"
}

# version_ge A B succeeds when Go version A is at least B.
version_ge() {
  local a b
  a=$(version_fields "$1")
  b=$(version_fields "$2")
  [ -n "$a" ] && [ -n "$b" ] || return 1
  # Word splitting into the four fields of each is the point: $1..$4 is A, $5..$8 is B.
  # shellcheck disable=SC2086
  set -- $a $b
  if [ "$1" -ne "$5" ]; then [ "$1" -gt "$5" ]; return; fi
  if [ "$2" -ne "$6" ]; then [ "$2" -gt "$6" ]; return; fi
  if [ "$3" -ne "$7" ]; then [ "$3" -gt "$7" ]; return; fi
  [ "$4" -ge "$8" ]
}

# go_version GO prints the version of the go binary GO, run outside any module with
# GOTOOLCHAIN=local so that it neither reads go.mod nor downloads anything.
go_version() {
  local v
  v=$(cd "${RUNNER_TEMP:-/tmp}" && GOTOOLCHAIN=local GOWORK=off GOFLAGS="" "$1" env GOVERSION 2>/dev/null) || v=""
  if [ -z "$v" ]; then
    # Go before 1.16 has no GOVERSION: "go version go1.15.2 linux/amd64".
    v=$(cd "${RUNNER_TEMP:-/tmp}" && GOTOOLCHAIN=local "$1" version 2>/dev/null | awk '{print $3}') || v=""
  fi
  echo "$v"
}

sha256() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | awk '{print $1}'
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 "$1" | awk '{print $1}'
  else
    return 1
  fi
}

# try_release installs the release binary of PG_ACTION_REF. It returns 1 when there is no
# release to use (the caller may build instead) and exits on a checksum mismatch.
try_release() {
  local ref=${PG_ACTION_REF:-} repo=${PG_ACTION_REPO:-} server=${PG_SERVER_URL:-https://github.com}
  case $ref in
    v[0-9]*.[0-9]*.[0-9]*) ;;
    *)
      echo "perfgate: action ref '${ref}' is not a release tag (vX.Y.Z); building from source"
      return 1
      ;;
  esac
  case $ref in *[!A-Za-z0-9.+-]*) return 1 ;; esac
  [ -n "$repo" ] || return 1
  local os arch
  case "${RUNNER_OS:-}" in
    Linux) os=linux ;;
    macOS) os=darwin ;;
    Windows) os=windows ;;
    *) return 1 ;;
  esac
  case "${RUNNER_ARCH:-}" in
    X64) arch=amd64 ;;
    ARM64) arch=arm64 ;;
    *) return 1 ;;
  esac
  command -v curl >/dev/null 2>&1 || {
    echo "perfgate: no curl; building from source"
    return 1
  }
  local asset="perfgate_${ref}_${os}_${arch}" sums="perfgate_${ref}_checksums.txt"
  if [ "$os" = windows ]; then asset="$asset.exe"; fi
  local url="${server%/}/$repo/releases/download/$ref"
  local dl="${RUNNER_TEMP:-/tmp}/perfgate/download"
  rm -rf "$dl"
  mkdir -p "$dl"
  echo "perfgate: downloading $url/$asset"
  if ! curl -fsSL --retry 3 --connect-timeout 20 -o "$dl/$sums" "$url/$sums" ||
    ! curl -fsSL --retry 3 --connect-timeout 20 -o "$dl/$asset" "$url/$asset"; then
    echo "perfgate: no release binary for $ref ($os/$arch)"
    return 1
  fi
  local want got
  want=$(awk -v f="$asset" '$2 == f || $2 == "*" f {print $1}' "$dl/$sums" | head -n 1)
  [ -n "$want" ] || die 3 "$sums lists no checksum for $asset"
  got=$(sha256 "$dl/$asset") || die 3 "no sha256sum or shasum to verify $asset"
  if [ "$got" != "$want" ]; then
    die 3 "checksum mismatch for $asset: got $got, $sums says $want; not using it"
  fi
  mkdir -p "$bin"
  mv "$dl/$asset" "$bin/$exe"
  chmod +x "$bin/$exe"
  echo "perfgate: installed the $ref release binary (sha256 $got)"
  return 0
}

# find_go prints the path of a go binary at least as new as $1, or nothing.
find_go() {
  local need=$1 cand v best="" bestv=""
  if cand=$(command -v go 2>/dev/null) && [ -n "$cand" ]; then
    v=$(go_version "$cand")
    if [ -n "$v" ] && version_ge "$v" "go$need"; then
      echo "perfgate: using $cand ($v)" >&2
      echo "$cand"
      return 0
    fi
    echo "perfgate: $cand is ${v:-of unknown version}, older than go.mod's go $need" >&2
  fi
  local cache=${RUNNER_TOOL_CACHE:-} arch goexe=go
  if [ "${RUNNER_OS:-}" = Windows ]; then goexe=go.exe; fi
  case "${RUNNER_ARCH:-}" in
    X64) arch=x64 ;;
    ARM64) arch=arm64 ;;
    X86) arch=x86 ;;
    *) arch='*' ;;
  esac
  if [ -n "$cache" ] && [ -d "$cache/go" ]; then
    # $arch may be the pattern *; nothing here holds whitespace.
    # shellcheck disable=SC2231
    for cand in "$cache"/go/*/$arch/bin/$goexe; do
      [ -x "$cand" ] || continue
      v=$(go_version "$cand")
      if [ -z "$v" ] || ! version_ge "$v" "go$need"; then continue; fi
      if [ -z "$bestv" ] || version_ge "$v" "$bestv"; then
        best=$cand
        bestv=$v
      fi
    done
  fi
  if [ -n "$best" ]; then
    echo "perfgate: using $best ($bestv) from the runner's tool cache" >&2
    echo "$best"
  fi
}

plan() {
  local install=${PG_INSTALL:-auto}
  case $install in
    auto | release | source) ;;
    *) die 2 "input install must be auto, release or source, not \"$install\"" ;;
  esac
  local from="$action_path@${PG_ACTION_REF:-}"
  output go-mod "$action_path/go.mod"
  if [ -x "$bin/$exe" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$from" ]; then
    echo "perfgate: reusing $bin/$exe, installed earlier in this job"
    output path "$bin/$exe"
    output method reused
    return 0
  fi
  rm -f "$stamp"
  if [ "$install" != source ]; then
    if try_release; then
      printf '%s\n' "$from" >"$stamp"
      echo "$bin" >>"$GITHUB_PATH"
      output path "$bin/$exe"
      output method release
      return 0
    fi
    if [ "$install" = release ]; then
      die 3 "install: release was asked for, but no release binary could be downloaded for ref '${PG_ACTION_REF:-}'"
    fi
  fi
  local need go
  need=$(go_required)
  go=$(find_go "$need")
  output method source
  if [ -n "$go" ]; then
    output go "$go"
  else
    echo "perfgate: no Go >= $need on PATH or in the tool cache; setting one up"
    output setup-go true
  fi
}

build() {
  local go=${PG_GO:-} need v
  if [ -z "$go" ]; then
    go=$(command -v go 2>/dev/null) || die 3 "no go on PATH to build perfgate with"
  fi
  need=$(go_required)
  v=$(go_version "$go")
  version_ge "$v" "go$need" || die 3 "$go is ${v:-of unknown version}; building perfgate needs go $need or newer"
  mkdir -p "$bin"
  cd "$action_path"
  # GOTOOLCHAIN=local: the go chosen above is new enough, so nothing is downloaded. A
  # checkout whose VCS status git cannot read (safe.directory in containers) is built
  # without VCS stamping rather than not at all.
  if ! GOTOOLCHAIN=local GOWORK=off GOFLAGS=-mod=readonly "$go" build -trimpath -o "$bin/$exe" ./cmd/perfgate; then
    echo "perfgate: retrying without VCS stamping"
    GOTOOLCHAIN=local GOWORK=off GOFLAGS=-mod=readonly "$go" build -trimpath -buildvcs=false -o "$bin/$exe" ./cmd/perfgate ||
      die 3 "building perfgate with $go ($v) failed"
  fi
  printf '%s\n' "$action_path@${PG_ACTION_REF:-}" >"$stamp"
  echo "$bin" >>"$GITHUB_PATH"
  output path "$bin/$exe"
  echo "perfgate: built $bin/$exe with $v"
}

case "${1:-}" in
  plan) plan ;;
  build) build ;;
  *) die 3 "usage: install.sh plan|build" ;;
esac
