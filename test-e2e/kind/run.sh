#!/usr/bin/env bash
# The kind end-to-end run, one command on a machine with Docker, kind, kubectl and helm:
#   bash test-e2e/kind/run.sh
# Builds the seven images, creates the cluster of kind-config.yaml, loads the images, installs the
# chart with the regtest profile, funds the treasury lnd, applies a public HyperNode (managed lnd)
# and waits for it to be Ready. KEEP_CLUSTER=1 leaves the cluster up afterwards.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
here="$root/test-e2e/kind"
ns=hyperhash release=hh prefix=hh-hyperhash
step() { echo "[e2e $(date +%T)] $*"; }
cd "$root"

for tool in docker kind kubectl helm node; do
  command -v "$tool" >/dev/null || { echo "missing: $tool (this run needs Docker and kind; see test-e2e/kind/README.md)" >&2; exit 2; }
done

step "building images"
for image in operator core pool template-provider treasury translator node-agent; do
  docker build -q -f "images/$image.Dockerfile" -t "ghcr.io/hyperhash/$image:e2e" .
done

step "creating the kind cluster (kind-config.yaml)"
kind get clusters | grep -qx hyperhash || kind create cluster --config kind-config.yaml --wait 120s
if [ "${KEEP_CLUSTER:-0}" != 1 ]; then trap 'kind delete cluster --name hyperhash >/dev/null 2>&1 || true' EXIT; fi
for image in operator core pool template-provider treasury translator node-agent; do
  kind load docker-image --name hyperhash "ghcr.io/hyperhash/$image:e2e"
done

step "installing the chart (regtest profile)"
kubectl create namespace "$ns" --dry-run=client -o yaml | kubectl apply -f -
npx tsx "$here/gen-keys.ts" "$ns" | kubectl apply -f -
# No --wait: the treasury waits for the lnd Secret that bootstrap.sh writes below.
helm upgrade --install "$release" charts/hyperhash -n "$ns" \
  -f charts/hyperhash/values-regtest.yaml -f "$here/values-kind.yaml"
kubectl -n "$ns" rollout status "statefulset/$prefix-bitcoind" --timeout 5m
kubectl -n "$ns" rollout status "statefulset/$prefix-treasury-lnd" --timeout 5m

step "bootstrapping the treasury lnd: Secret, then 101 blocks to its wallet"
bash "$here/bootstrap.sh" "$ns" "$prefix"
for workload in deployment/$prefix-operator statefulset/$prefix-core statefulset/$prefix-pool \
  deployment/$prefix-template-provider statefulset/$prefix-treasury; do
  kubectl -n "$ns" rollout status "$workload" --timeout 5m
done

step "applying a public HyperNode and waiting for Ready"
kubectl apply -f examples/hypernode-public.yaml
# The treasury channel confirms with blocks: mine one every 10 s while waiting.
( for _ in $(seq 1 90); do bash "$here/bootstrap.sh" "$ns" "$prefix" mine 1 >/dev/null 2>&1 || true; sleep 10; done ) &
miner=$!
trap 'kill $miner 2>/dev/null || true; [ "${KEEP_CLUSTER:-0}" = 1 ] || kind delete cluster --name hyperhash >/dev/null 2>&1 || true' EXIT
kubectl -n "$ns" wait hypernode/edge-public --for=condition=Ready --timeout 15m
kubectl -n "$ns" get hyperhash -o wide
step "HyperNode edge-public is Ready"
