#!/bin/sh
# Migrating an older store from Catalog V2 to V3: the sandbox first, then production.
#
# Two emulated stores seeded alike with the V2 catalog of an older store (the sandbox stands for a
# clone of production: the same products, other ids): the migration is planned and applied on the
# sandbox, verified there (every SKU and option combination priced and weighed as before), and only
# then planned, applied and verified on production.
set -eu
STAGINGPRO=${STAGINGPRO:-stagingpro}
PRODUCTS=${PRODUCTS:-200}
work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -rf "$work"' EXIT

$STAGINGPRO emulator --port 0 --db "$work/stores.db" --rate-limit 0 \
  --store production:prod-token --store sandbox:sandbox-token \
  --seed-v2 "production=$PRODUCTS" --seed-v2 "sandbox=$PRODUCTS" > "$work/emulator.log" &
server=$!
tries=0
until grep -q "listening on" "$work/emulator.log" 2>/dev/null; do
  tries=$((tries + 1))
  [ "$tries" -lt 600 ] || { echo "the emulator did not start" >&2; exit 1; }
  sleep 0.1
done
origin=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$work/emulator.log" | head -n 1)

migrate() {  # migrate STORE TOKEN: plan, then apply and verify
  echo "== $1: the plan"
  status=0
  STAGINGPRO_STORE_TOKEN=$2 $STAGINGPRO migrate v2-to-v3 --store "$origin/stores/$1" \
    --state "$work/$1.json" || status=$?
  [ "$status" -eq 2 ] || { echo "expected something to migrate in $1" >&2; exit 1; }
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
