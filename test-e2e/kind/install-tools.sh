#!/usr/bin/env bash
# Installs pinned kind, kubectl and helm into $1 (checksums verified). Used by the e2e-kind
# workflow; on a workstation any kind >= 0.30, kubectl and helm 3.19 on PATH will do.
set -euo pipefail
dest=${1:?usage: install-tools.sh DIR}
mkdir -p "$dest"
KIND=v0.30.0 KUBECTL=v1.34.4 HELM=v3.19.5
curl -fsSLo "$dest/kind" "https://kind.sigs.k8s.io/dl/$KIND/kind-linux-amd64"
curl -fsSLo "$dest/kind.sha256" "https://kind.sigs.k8s.io/dl/$KIND/kind-linux-amd64.sha256sum"
(cd "$dest" && echo "$(cut -d' ' -f1 kind.sha256)  kind" | sha256sum -c -)
curl -fsSLo "$dest/kubectl" "https://dl.k8s.io/release/$KUBECTL/bin/linux/amd64/kubectl"
(cd "$dest" && echo "$(curl -fsSL "https://dl.k8s.io/release/$KUBECTL/bin/linux/amd64/kubectl.sha256")  kubectl" | sha256sum -c -)
curl -fsSLo "$dest/helm.tgz" "https://get.helm.sh/helm-$HELM-linux-amd64.tar.gz"
(cd "$dest" && echo "$(curl -fsSL "https://get.helm.sh/helm-$HELM-linux-amd64.tar.gz.sha256sum" | cut -d' ' -f1)  helm.tgz" | sha256sum -c -)
tar -xzf "$dest/helm.tgz" -C "$dest" --strip-components=1 linux-amd64/helm
chmod +x "$dest/kind" "$dest/kubectl" "$dest/helm"
rm -f "$dest/kind.sha256" "$dest/helm.tgz"
