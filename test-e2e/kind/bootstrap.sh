#!/usr/bin/env bash
# Treasury lnd bootstrap for the regtest profile (its wallet is created with --noseedbackup):
#   bootstrap.sh NS PREFIX          write the treasury lnd Secret, fund the wallet (101 blocks)
#   bootstrap.sh NS PREFIX mine N   mine N blocks to the treasury wallet
set -euo pipefail
ns=$1 prefix=$2
lnd=(kubectl -n "$ns" exec "statefulset/$prefix-treasury-lnd" -c lnd --)
btc=(kubectl -n "$ns" exec "statefulset/$prefix-bitcoind" -c bitcoind --)
lncli=("${lnd[@]}" lncli --lnddir=/data/lnd --network=regtest)
rpc() {
  local user pass
  user=$(kubectl -n "$ns" get secret "$prefix-bitcoind-rpc" -o jsonpath='{.data.username}' | base64 -d)
  pass=$(kubectl -n "$ns" get secret "$prefix-bitcoind-rpc" -o jsonpath='{.data.password}' | base64 -d)
  "${btc[@]}" bitcoin-cli -regtest -datadir=/data -rpcuser="$user" -rpcpassword="$pass" "$@"
}
mine() {
  local address
  address=$("${lncli[@]}" newaddress p2wkh | sed -n 's/.*"address": "\(.*\)".*/\1/p')
  rpc generatetoaddress "$1" "$address" >/dev/null
}
if [ "${3:-}" = mine ]; then mine "${4:-1}"; exit 0; fi

until "${lncli[@]}" getinfo >/dev/null 2>&1; do sleep 2; done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"${lnd[@]}" cat /data/lnd/tls.cert >"$tmp/tls.cert"
"${lnd[@]}" cat /data/lnd/data/chain/bitcoin/regtest/admin.macaroon >"$tmp/macaroon"
xxd -p -c0 "$tmp/macaroon" | tr -d '\n' >"$tmp/macaroon.hex"
kubectl -n "$ns" create secret generic "$prefix-treasury-lnd" \
  --from-literal=socket="$prefix-treasury-lnd.$ns.svc:10009" \
  --from-file=tls.cert="$tmp/tls.cert" --from-file=macaroon="$tmp/macaroon" \
  --from-file=macaroon.hex="$tmp/macaroon.hex" --dry-run=client -o yaml | kubectl apply -f -
mine 101
