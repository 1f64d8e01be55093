//go:build tools

// Package tools pins the btcd commands this project builds.
package tools

import (
	_ "github.com/btcsuite/btcd"
	_ "github.com/btcsuite/btcd/cmd/btcctl"
)
