//go:build tools

// Package tools pins kube-router, run on the devnet's node only as its NetworkPolicy
// enforcer (--run-firewall; no routing, no service proxy).
package tools

import _ "github.com/cloudnativelabs/kube-router/v2/cmd/kube-router"
