//go:build tools

// Package tools pins the Kubernetes commands this project builds: the control plane
// (kube-apiserver, kube-controller-manager, kube-scheduler), the node (kubelet, kube-proxy)
// and the client (kubectl).
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-proxy"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
	_ "k8s.io/kubernetes/cmd/kubelet"
)
