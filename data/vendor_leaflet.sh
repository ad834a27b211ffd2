#!/usr/bin/env bash
# Vendor Leaflet into the app's static files, so that the installed package serves every script
# and style itself (the app works offline; no CDN).
#
#   data/vendor_leaflet.sh           # fetch leaflet@VERSION with npm pack, copy its dist files
#   data/vendor_leaflet.sh --check   # same into a temporary folder, compare with the committed files
#
# Needs npm and access to the npm registry. The files are committed: `pip install .` needs no
# network and no npm.
set -euo pipefail
VERSION=1.9.4
SHA512=sha512-nxS1ynzJOmOlHp+iL3FyWqK89GtNL8U8rvlMOsQdTTssxZwCXh8N2NB3GDQOL+YR3XnWyZAxwQixURb+FA74PA==
cd "$(dirname "$0")/.."
target=aplcore/app/static/vendor/leaflet
if [ "${1:-}" = "--check" ]; then target=$(mktemp -d)/leaflet; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "leaflet@$VERSION" >/dev/null)
tarball="$work/leaflet-$VERSION.tgz"
actual="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
if [ "$actual" != "$SHA512" ]; then
  echo "leaflet-$VERSION.tgz: integrity $actual, expected $SHA512" >&2
  exit 1
fi
tar -xzf "$tarball" -C "$work"
mkdir -p "$target/images"
cp "$work/package/dist/leaflet.js" "$work/package/dist/leaflet.css" "$work/package/LICENSE" "$target/"
cp "$work/package/dist/images/"*.png "$target/images/"
echo "leaflet $VERSION" > "$target/VERSION"
if [ "${1:-}" = "--check" ]; then
  diff -r "$target" aplcore/app/static/vendor/leaflet && echo "vendored leaflet $VERSION: identical"
else
  echo "vendored leaflet $VERSION into $target"
fi
