//go:build tools

// Package tools pins CoreDNS, the cluster DNS of the devnet's Kubernetes.
package tools

import _ "github.com/coredns/coredns"
