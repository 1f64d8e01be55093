//go:build tools

// Package tools pins the helm command this project builds.
package tools

import _ "helm.sh/helm/v3/cmd/helm"
