#!/usr/bin/env bash
# What a failed kind run left behind: resources, events, and the last logs of every pod.
ns=${1:-hyperhash}
kubectl get nodes -o wide
kubectl -n "$ns" get all,pvc,secrets,hyperhash -o wide
kubectl -n "$ns" get hypernodes -o yaml
kubectl -n "$ns" get events --sort-by=.lastTimestamp | tail -50
for pod in $(kubectl -n "$ns" get pods -o name); do
  echo "=== $pod"
  kubectl -n "$ns" logs "$pod" --all-containers --tail=80 || true
done
