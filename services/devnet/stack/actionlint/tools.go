//go:build tools

// Package tools pins the actionlint command this project builds (it lints .github/workflows).
package tools

import _ "github.com/rhysd/actionlint/cmd/actionlint"
