#!/usr/bin/env bash
# The project's images and compose stack with podman, on machines where no image registry can be reached.
# (With Docker and registry access the ordinary path stays `docker compose up -d --build`.)
#
#   scripts/containers.sh setup     install podman & co. (apt-get) if missing; write the podman settings below
#   scripts/containers.sh base      make the local base images if missing (debootstrap + podman import)
#   scripts/containers.sh images    base, then build every service and simulator image from its Dockerfile
#   scripts/containers.sh up        images, then the compose stack (default + demo profiles) on the host's infra
#   scripts/containers.sh start     the compose stack only (the images must exist); `smoke`: log in, see products
#   scripts/containers.sh down      remove the stack's containers (prefix $CTR_PREFIX)
#   scripts/containers.sh status    the stack's containers and their health
#   scripts/containers.sh check     non-root user and read-only root filesystem of every running container
#   scripts/containers.sh sizes     image sizes
#   scripts/containers.sh e2e       walking-skeleton and oracle e2e tests with every process in a container
#   scripts/containers.sh kube      the rendered k8s `dev` overlay played with `podman kube play` (see docs)
#   scripts/containers.sh ci        all of the above, then tear down (the CI stage)
#   scripts/containers.sh podman …  podman with this project's settings
#
# Settings live in .local/containers/ (CONTAINERS_CONF, CONTAINERS_STORAGE_CONF): /etc/containers is left alone.
# Environment: CTR_PREFIX (container name prefix, default crm-ctr), CTR_PORT_OFFSET (added to every host port the
# stack binds: 8000-8005, 8090; default 0), IMAGE_REGISTRY / IMAGE_TAG (crm / dev, as docker-compose.yml),
# CTR_BASE_MIRROR (Debian mirror for debootstrap; default: the one apt uses). Needs root (podman as root).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
STATE=$ROOT/.local/containers
export CONTAINERS_CONF=$STATE/containers.conf CONTAINERS_STORAGE_CONF=$STATE/storage.conf
IMAGE_REGISTRY=${IMAGE_REGISTRY:-crm}
IMAGE_TAG=${IMAGE_TAG:-dev}
export CTR_PREFIX=${CTR_PREFIX:-crm-ctr} CTR_PORT_OFFSET=${CTR_PORT_OFFSET:-0} IMAGE_REGISTRY IMAGE_TAG
UV_VERSION=$(uv --version 2>/dev/null | awk '{print $2}')
UV_VERSION=${CTR_UV_VERSION:-${UV_VERSION:-0.13.9}}
BASE_PYTHON=localhost/crm-base/python:3.11-bookworm
BASE_UV=localhost/crm-base/uv:$UV_VERSION
# image name -> Dockerfile (build context: the repository root, as docker-compose.yml)
IMAGES=(gateway:services/gateway auth:services/auth catalog:services/catalog inventory:services/inventory
    analytics:services/analytics moysklad-connector:services/moysklad-connector bitrix24-connector:services/bitrix24-connector
    moysklad-simulator:tools/moysklad-simulator)

say() { printf 'containers: %s\n' "$*" >&2; }
die() { printf 'containers: ERROR: %s\n' "$*" >&2; exit 1; }

apt_install() {
    [[ $(id -u) == 0 ]] || die "installing $* needs root"
    if [[ ! -f $STATE/.apt-updated ]]; then apt-get update -q >&2 && mkdir -p "$STATE" && touch "$STATE/.apt-updated"; fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >&2
}

cmd_setup() {
    local missing=() p
    for p in podman:podman buildah:buildah runc:runc fuse-overlayfs:fuse-overlayfs slirp4netns:slirp4netns \
        newuidmap:uidmap debootstrap:debootstrap iptables:iptables; do
        command -v "${p%%:*}" >/dev/null 2>&1 || [[ -x /usr/sbin/${p%%:*} ]] || missing+=("${p#*:}")
    done
    # netavark/aardvark-dns give bridge networks with name resolution (podman kube play, the compose network)
    [[ -x /usr/lib/podman/netavark ]] || missing+=(netavark aardvark-dns)
    # catatonit is the init of the pause container `podman kube play` builds for each pod (a podman "Recommends",
    # so --no-install-recommends leaves it out)
    command -v catatonit >/dev/null 2>&1 || [[ -x /usr/libexec/podman/catatonit ]] || missing+=(catatonit)
    ((${#missing[@]} == 0)) || { say "installing ${missing[*]}"; apt_install "${missing[@]}"; }
    mkdir -p "$STATE"
    local hard
    hard=$(ulimit -Hn)
    # runc: crun fails on this kind of host (cgroup hybrid mode); podman's default ulimits fail (setrlimit not
    # permitted) so they are set to what the host allows; no systemd: cgroupfs and a file events log.
    cat >"$STATE/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=$hard:$hard", "nproc=32768:32768"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
[network]
network_backend = "netavark"
EOF
    # name the driver: left to detection, every `podman run` stalls ~20 s on conmon
    cat >"$STATE/storage.conf" <<EOF
[storage]
driver = "overlay"
runroot = "/run/containers/storage"
graphroot = "/var/lib/containers/storage"
EOF
    podman --version >&2
}

have_image() { podman image exists "$1"; }

debian_mirror() {
    if [[ -n ${CTR_BASE_MIRROR:-} ]]; then echo "$CTR_BASE_MIRROR"; return; fi
    local m
    m=$(grep -hsE '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' | grep -v security | head -1)
    [[ -n $m ]] || m=$(grep -hsE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list |
        awk '{print $2}' | grep -v security | head -1)
    echo "${m:-http://deb.debian.org/debian}"
}

cmd_base() {
    cmd_setup
    if ! have_image "$BASE_PYTHON"; then
        local dir=$STATE/rootfs mirror t0=$SECONDS
        mirror=$(debian_mirror)
        say "making $BASE_PYTHON: debootstrap bookworm from $mirror (log: $STATE/debootstrap.log)"
        rm -rf "$dir" && mkdir -p "$dir"
        debootstrap --variant=minbase --include=python3,ca-certificates,tzdata bookworm "$dir" "$mirror" \
            >"$STATE/debootstrap.log" 2>&1 || { tail -20 "$STATE/debootstrap.log" >&2; die "debootstrap failed"; }
        # where the official python images keep the interpreter (the Dockerfiles point uv at it)
        local b
        for b in python3.11 python3 python; do ln -sf /usr/bin/python3.11 "$dir/usr/local/bin/$b"; done
        # the host's CA bundle: HTTPS (PyPI for uv) may pass an intercepting proxy whose CA only the host knows
        cp /etc/ssl/certs/ca-certificates.crt "$dir/etc/ssl/certs/ca-certificates.crt"
        rm -rf "$dir"/var/lib/apt/lists/* "$dir"/var/cache/apt/* "$dir"/usr/share/doc/* "$dir"/usr/share/man/* \
            "$dir"/usr/share/info/* "$dir"/var/log/*
        tar -C "$dir" -c . | podman import --change 'CMD ["python3"]' \
            --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
            --change 'ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt' \
            --change 'ENV LANG=C.UTF-8' - "$BASE_PYTHON" >/dev/null
        rm -rf "$dir"
        say "made $BASE_PYTHON in $((SECONDS - t0))s"
    fi
    if ! have_image "$BASE_UV"; then
        # the uv binary of the same version as ghcr.io/astral-sh/uv:<version>, from its PyPI wheel
        local dir=$STATE/uv
        rm -rf "$dir" && mkdir -p "$dir/root"
        python3 -m pip download --quiet --no-deps --only-binary=:all: --dest "$dir" "uv==$UV_VERSION" >&2
        python3 -c 'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); open(sys.argv[2], "wb").write(
            z.read(next(n for n in z.namelist() if n.endswith("/scripts/uv"))))' "$dir"/uv-*.whl "$dir/root/uv"
        chmod 755 "$dir/root/uv"
        tar -C "$dir/root" -c uv | podman import - "$BASE_UV" >/dev/null
        rm -rf "$dir"
        say "made $BASE_UV"
    fi
}

cmd_images() {
    cmd_base
    local entry name dockerfile t0 log=$STATE/build.log
    : >"$log"
    for entry in "${@:-${IMAGES[@]}}"; do
        [[ $entry == *:* ]] || entry=$(printf '%s\n' "${IMAGES[@]}" | grep "^$entry:") || die "no image $entry"
        name=${entry%%:*} dockerfile=${entry#*:}/Dockerfile t0=$SECONDS
        say "building $IMAGE_REGISTRY/$name:$IMAGE_TAG from $dockerfile"
        # one at a time (the machine is small); --network=host: uv reaches PyPI the way the host does
        if ! podman build --network=host --layers --format docker -f "$ROOT/$dockerfile" -t "$IMAGE_REGISTRY/$name:$IMAGE_TAG" \
            --build-arg "PYTHON_IMAGE=$BASE_PYTHON" --build-arg "UV_IMAGE=$BASE_UV" "$ROOT" >>"$log" 2>&1; then
            tail -30 "$log" >&2
            die "build of $name failed (log: $log)"
        fi
        printf 'containers: built %-40s %4ds\n' "$IMAGE_REGISTRY/$name:$IMAGE_TAG" $((SECONDS - t0)) >&2
    done
}

stack() {
    (
        cd "$ROOT"
        eval "$(scripts/infra/infra.sh env)" # the e2e tests find Kafka, PostgreSQL, Redis through these
        # the harness defaults to Redis on 6379; follow INFRA_REDIS_PORT like everything else
        export TEST_REDIS_URL=${TEST_REDIS_URL:-redis://127.0.0.1:${INFRA_REDIS_PORT:-6379}/14}
        export PGOPTIONS="-c client_min_messages=warning"
        uv run --quiet python scripts/containers_stack.py "$@"
    )
}

cmd_sizes() {
    local entry
    printf '%-44s %10s\n' image size
    for entry in "${IMAGES[@]}"; do
        podman image inspect --format '{{.Size}}' "$IMAGE_REGISTRY/${entry%%:*}:$IMAGE_TAG" 2>/dev/null |
            awk -v n="$IMAGE_REGISTRY/${entry%%:*}:$IMAGE_TAG" '{printf "%-44s %7.1f MB\n", n, $1 / 1e6}'
    done
    podman image inspect --format '{{.Size}}' "$BASE_PYTHON" |
        awk -v n="$BASE_PYTHON" '{printf "%-44s %7.1f MB\n", n, $1 / 1e6}'
}

case ${1:-} in
    setup) cmd_setup ;;
    base) cmd_base ;;
    images) shift; cmd_images "$@" ;;
    up) cmd_images && stack up ;;
    down) cmd_setup >/dev/null 2>&1; stack down ;;
    start | status | check | smoke | e2e | kube) cmd_setup >/dev/null 2>&1; [[ $1 != start ]] || set -- up; stack "$@" ;;
    sizes) cmd_setup >/dev/null 2>&1; cmd_sizes ;;
    ci)
        t0=$SECONDS rc=0
        cmd_images
        say "images built in $((SECONDS - t0))s"
        stack ci || rc=$?
        cmd_sizes
        say "ci: $((SECONDS - t0))s, exit $rc"
        exit "$rc"
        ;;
    podman) shift; exec podman "$@" ;;
    *) sed -n '2,22p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
