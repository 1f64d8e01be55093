#!/usr/bin/env bash
# Builds the pinned real stack (btcd, lnd, etcd, the Kubernetes control plane and node,
# CoreDNS, kube-router (NetworkPolicy), helm, actionlint) from the Go module proxy into a per-version cache outside the repository.
# Idempotent: a binary already in the cache is not rebuilt. Each wrapper module here pins
# one upstream with a committed go.sum, so checksums are verified as the Go toolchain does.
#
#   build.sh            build whatever is missing
#   build.sh --check    exit 1 (and list them) if any binary is missing; build nothing
#   build.sh --print    print the cache directory
#   build.sh --list     print "name version path" for every binary
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${HH_STACK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hyperhash/bin}

# name|version|wrapper dir|package|extra ldflags|tags
K8S=v1.34.4
LND=v0.20.1-beta
k8s_ld="-X k8s.io/component-base/version.gitVersion=$K8S -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=34 -X k8s.io/component-base/version.gitTreeState=clean -X k8s.io/client-go/pkg/version.gitVersion=$K8S -X k8s.io/client-go/pkg/version.gitMajor=1 -X k8s.io/client-go/pkg/version.gitMinor=34"
lnd_tags="autopilotrpc chainrpc invoicesrpc peersrpc routerrpc signrpc walletrpc watchtowerrpc wtclientrpc"
targets=(
  "btcd|v0.25.0|btcd|github.com/btcsuite/btcd||"
  "btcctl|v0.25.0|btcd|github.com/btcsuite/btcd/cmd/btcctl||"
  "etcd|v3.5.35|etcd|go.etcd.io/etcd/server/v3||"
  "etcdctl|v3.5.35|etcd|go.etcd.io/etcd/etcdctl/v3||"
  "lnd|$LND|lnd|github.com/lightningnetwork/lnd/cmd/lnd|-X github.com/lightningnetwork/lnd/build.Commit=$LND|$lnd_tags"
  "lncli|$LND|lnd|github.com/lightningnetwork/lnd/cmd/lncli|-X github.com/lightningnetwork/lnd/build.Commit=$LND|$lnd_tags"
  "kube-apiserver|$K8S|kubernetes|k8s.io/kubernetes/cmd/kube-apiserver|$k8s_ld|"
  "kube-controller-manager|$K8S|kubernetes|k8s.io/kubernetes/cmd/kube-controller-manager|$k8s_ld|"
  "kube-scheduler|$K8S|kubernetes|k8s.io/kubernetes/cmd/kube-scheduler|$k8s_ld|"
  "kubelet|$K8S|kubernetes|k8s.io/kubernetes/cmd/kubelet|$k8s_ld|"
  "kube-proxy|$K8S|kubernetes|k8s.io/kubernetes/cmd/kube-proxy|$k8s_ld|"
  "kubectl|$K8S|kubernetes|k8s.io/kubernetes/cmd/kubectl|$k8s_ld|"
  "kube-router|v2.1.0|kube-router|github.com/cloudnativelabs/kube-router/v2/cmd/kube-router|-X github.com/cloudnativelabs/kube-router/v2/pkg/version.Version=v2.1.0|"
  "coredns|v1.15.0|coredns|github.com/coredns/coredns|-X github.com/coredns/coredns/coremain.GitCommit=v1.15.0|"
  "helm|v3.19.5|helm|helm.sh/helm/v3/cmd/helm|-X helm.sh/helm/v3/internal/version.version=v3.19.5|"
  "actionlint|v1.7.12|actionlint|github.com/rhysd/actionlint/cmd/actionlint|-X github.com/rhysd/actionlint.version=v1.7.12|"
)

mode=${1:-build}
if [ "$mode" = "--print" ]; then echo "$cache"; exit 0; fi
if [ "$mode" = "--list" ]; then
  for t in "${targets[@]}"; do IFS='|' read -r name version _ _ _ _ <<<"$t"; echo "$name $version $cache/$name-$version"; done
  exit 0
fi

missing=()
for t in "${targets[@]}"; do
  IFS='|' read -r name version _ _ _ _ <<<"$t"
  [ -x "$cache/$name-$version" ] || missing+=("$t")
done

if [ "$mode" = "--check" ]; then
  for t in "${missing[@]}"; do echo "missing: ${t%%|*}"; done
  [ ${#missing[@]} -eq 0 ]; exit $?
fi
if [ ${#missing[@]} -eq 0 ]; then echo "[stack] all ${#targets[@]} binaries present in $cache"; exit 0; fi

command -v go >/dev/null || { echo "[stack] error: the Go toolchain is not on PATH. Install Go >= 1.24 (this machine kind ships /usr/local/go) and re-run." >&2; exit 2; }
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=readonly
mkdir -p "$cache"
echo "[stack] building ${#missing[@]} binaries into $cache ($(go version | cut -d' ' -f3), GOPROXY=$(go env GOPROXY))"
i=0
for t in "${missing[@]}"; do
  IFS='|' read -r name version dir pkg ld tags <<<"$t"
  i=$((i + 1))
  start=$(date +%s)
  echo "[stack] ($i/${#missing[@]}) $name $version: downloading modules and compiling..."
  tmp="$cache/.$name-$version.tmp.$$"
  if ! (cd "$here/$dir" && go build -trimpath -tags "$tags" -ldflags "-s -w $ld" -o "$tmp" "$pkg"); then
    rm -f "$tmp"
    echo "[stack] error: building $name $version failed. If the module proxy is unreachable, check 'go env GOPROXY' and network access to it." >&2
    exit 1
  fi
  mv "$tmp" "$cache/$name-$version"
  echo "[stack] ($i/${#missing[@]}) $name $version built in $(( $(date +%s) - start ))s, $(du -h "$cache/$name-$version" | cut -f1)"
done
echo "[stack] done"
