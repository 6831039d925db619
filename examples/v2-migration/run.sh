#!/bin/sh
# Migrating an older store from Catalog V2 to V3: the sandbox first, then production.
#
# An emulated older store (production, seeded with a V2 catalog) and an empty sandbox cloned from it
# (`cloneFrom`, environments.yaml, run by `stagingpro run`): the clone is a Catalog V2 copy of
# production with its own ids, so the migration is planned, applied and verified on the sandbox
# (every SKU and option combination priced and weighed as before), and only then planned, applied
# and verified on production, where it plans the same.
set -eu
STAGINGPRO=${STAGINGPRO:-stagingpro}
PRODUCTS=${PRODUCTS:-200}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -rf "$work"' EXIT

$STAGINGPRO emulator --port 0 --db "$work/stores.db" --rate-limit 0 \
  --store production:prod-token --store sandbox:sandbox-token \
  --seed-v2 "production=$PRODUCTS" > "$work/emulator.log" &
server=$!
tries=0
until grep -q "listening on" "$work/emulator.log" 2>/dev/null; do
  tries=$((tries + 1))
  [ "$tries" -lt 600 ] || { echo "the emulator did not start" >&2; exit 1; }
  sleep 0.1
done
origin=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$work/emulator.log" | head -n 1)

mkdir -p "$work/manifests" "$work/secrets"
sed "s|http://127.0.0.1:8765|$origin|" "$here/environments.yaml" > "$work/manifests/environments.yaml"
for store in production sandbox; do
  token=prod-token
  [ "$store" = production ] || token=sandbox-token
  cat > "$work/secrets/$store.yaml" <<SECRET
apiVersion: v1
kind: Secret
metadata:
  name: $store-store-token
  namespace: shop
  annotations:
    stagingpro.io/store-hash: $store
    stagingpro.io/api-origin: $origin
    stagingpro.io/role: $store
stringData:
  token: $token
SECRET
done

echo "== sandbox: cloned from production"
$STAGINGPRO run "$work/manifests" --secrets "$work/secrets" --state "$work/state" --once \
  --allowed-api-origin "$origin" > "$work/run.log" || { cat "$work/run.log" >&2; exit 1; }
grep "Cloned" "$work/run.log" | sed 's/^[0-9:]* //'

migrate() {  # migrate STORE TOKEN: plan, then apply and verify
  echo "== $1: the plan"
  status=0
  STAGINGPRO_STORE_TOKEN=$2 $STAGINGPRO migrate v2-to-v3 --store "$origin/stores/$1" \
    --state "$work/$1.json" > "$work/$1-plan.txt" || status=$?
  [ "$status" -eq 2 ] || { cat "$work/$1-plan.txt" >&2; echo "expected something to migrate in $1" >&2; exit 1; }
  tail -n 1 "$work/$1-plan.txt"
  echo "== $1: applied and verified"
  STAGINGPRO_STORE_TOKEN=$2 $STAGINGPRO migrate v2-to-v3 --store "$origin/stores/$1" \
    --state "$work/$1.json" --yes | tail -n 2
}

migrate sandbox sandbox-token
# ... check the sandbox's storefront and the theme and scripts that depend on the options ...
migrate production prod-token
echo "== production: nothing left to migrate"
STAGINGPRO_STORE_TOKEN=prod-token $STAGINGPRO migrate v2-to-v3 --store "$origin/stores/production" \
  --state "$work/production.json" | tail -n 1
