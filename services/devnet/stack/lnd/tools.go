//go:build tools

// Package tools pins the lnd commands this project builds.
package tools

import (
	_ "github.com/lightningnetwork/lnd/cmd/lncli"
	_ "github.com/lightningnetwork/lnd/cmd/lnd"
)
