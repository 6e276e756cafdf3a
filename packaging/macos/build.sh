#!/usr/bin/env bash
# Build "Siting Planner.app" and a drag-to-Applications .dmg (run on macOS, repo root).
#   python3 -m venv .venv && .venv/bin/pip install -e '.[package]'
#   bash packaging/macos/build.sh
# Signing and notarisation need the city's Developer ID: set CODESIGN_IDENTITY to sign
# (then notarise the .dmg with `xcrun notarytool submit ... --wait`); without it the
# app is signed ad hoc, which runs on the build machine and under MDM-approved policies.
set -euo pipefail
cd "$(dirname "$0")/../.."
VERSION=$(.venv/bin/python -c "import planner; print(planner.__version__)")
APP="dist/Siting Planner.app"
DMG="dist/SitingPlanner-${VERSION}-macos-$(uname -m).dmg"

.venv/bin/python -m PyInstaller --noconfirm --distpath dist --workpath build/pyinstaller \
    packaging/siting_planner.spec
"$APP/Contents/MacOS/siting-planner" --self-test

codesign --force --deep --options runtime --sign "${CODESIGN_IDENTITY:--}" "$APP"

STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
cp -R "$APP" "$STAGE/"
ln -s /Applications "$STAGE/Applications"
rm -f "$DMG"
hdiutil create -volname "Siting Planner ${VERSION}" -srcfolder "$STAGE" -ov -format UDZO "$DMG"
echo "built $DMG ($(du -h "$DMG" | cut -f1))"
