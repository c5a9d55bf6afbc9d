#!/bin/sh
# Make a compressed disk image holding APP (a .app bundle) and a link to /Applications, so
# users drag the app into place. macOS only (hdiutil). `nbapp package --installer dmg` runs it.
#   make-dmg.sh APP.app OUT.dmg "Volume name"
set -eu
app="$1"; out="$2"; volname="$3"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
cp -R "$app" "$stage/"
ln -s /Applications "$stage/Applications"
rm -f "$out"
hdiutil create -volname "$volname" -srcfolder "$stage" -fs HFS+ -format UDZO -ov "$out"
