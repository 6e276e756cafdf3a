#!/usr/bin/env bash
# Build "Siting Planner.app" and a drag-to-Applications .dmg (run on macOS, repo root),
# for the machine's architecture (CI builds arm64 and x86_64 on two runners: the numpy,
# GDAL and Qt wheels are per architecture, so a universal2 bundle cannot be made from them).
#   python3 -m venv .venv && .venv/bin/pip install -e '.[package]'
#   bash packaging/macos/build.sh
# Signing: CODESIGN_IDENTITY="Developer ID Application: ..." (in the keychain) signs the
# app with the hardened runtime and the .dmg; without it the app is signed ad hoc.
# Notarisation: with APPLE_ID, APPLE_TEAM_ID and APPLE_APP_PASSWORD too, the .dmg is
# submitted to Apple's notary service, waited for and stapled; otherwise it says so.
set -euo pipefail
cd "$(dirname "$0")/../.."
VERSION=$(.venv/bin/python -c "import planner; print(planner.__version__)")
APP="dist/Siting Planner.app"
DMG="dist/SitingPlanner-${VERSION}-macos-$(uname -m).dmg"

.venv/bin/python -m PyInstaller --noconfirm --distpath dist --workpath build/pyinstaller \
    packaging/siting_planner.spec
"$APP/Contents/MacOS/siting-planner" --self-test

IDENTITY="${CODESIGN_IDENTITY:--}"
if [ "$IDENTITY" = "-" ]; then
    echo "::warning::no CODESIGN_IDENTITY: the app is signed ad hoc (Gatekeeper will refuse a download)"
fi
codesign --force --deep --timestamp --options runtime \
    --entitlements packaging/macos/entitlements.plist --sign "$IDENTITY" "$APP"
codesign --verify --deep --strict --verbose=2 "$APP"
# the signed app must still pass its self-test (the hardened runtime applies now)
"$APP/Contents/MacOS/siting-planner" --self-test

STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
cp -R "$APP" "$STAGE/"
ln -s /Applications "$STAGE/Applications"
rm -f "$DMG"
hdiutil create -volname "Siting Planner ${VERSION}" -srcfolder "$STAGE" -ov -format UDZO "$DMG"
if [ "$IDENTITY" != "-" ]; then
    codesign --force --timestamp --sign "$IDENTITY" "$DMG"
fi
if [ "$IDENTITY" != "-" ] && [ -n "${APPLE_ID:-}" ] && [ -n "${APPLE_TEAM_ID:-}" ] \
    && [ -n "${APPLE_APP_PASSWORD:-}" ]; then
    xcrun notarytool submit "$DMG" --apple-id "$APPLE_ID" --team-id "$APPLE_TEAM_ID" \
        --password "$APPLE_APP_PASSWORD" --wait
    xcrun stapler staple "$DMG"
    spctl --assess --type open --context context:primary-signature --verbose "$DMG"
else
    echo "::warning::not notarised (needs CODESIGN_IDENTITY, APPLE_ID, APPLE_TEAM_ID, APPLE_APP_PASSWORD)"
fi
echo "built $DMG ($(du -h "$DMG" | cut -f1))"
