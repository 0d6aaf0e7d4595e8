#!/usr/bin/env bash
# Builds the inputs Package.swift needs, on macOS with Xcode: runs `cargo xtask ios` from the
# repository root (Rust static libraries for device and simulators, the Swift bindings, the
# XCFramework), then puts the generated YannongFFI.swift where the YannongFFI target expects it.
#
# usage: ios/scripts/build-xcframework.sh
# output: ios/YannongFFIFFI.xcframework and ios/Sources/YannongFFI/YannongFFI.swift (both
#         git-ignored); then open ios/Package.swift in Xcode or add the package to the app.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
cargo xtask ios

framework=ios/YannongFFIFFI.xcframework
# SwiftPM needs the .xcframework to be named like its binary target (YannongFFIFFI); accept
# the name an older xtask used.
if [ -d ios/YannongFFI.xcframework ]; then
    rm -rf "$framework"
    mv ios/YannongFFI.xcframework "$framework"
fi
[ -d "$framework" ] || { echo "build-xcframework.sh: cargo xtask ios made no $framework" >&2; exit 1; }

generated=build/bindings/swift/YannongFFI.swift
[ -f "$generated" ] || { echo "build-xcframework.sh: no $generated" >&2; exit 1; }
mkdir -p ios/Sources/YannongFFI
cp "$generated" ios/Sources/YannongFFI/YannongFFI.swift

echo "ready:"
echo "  $root/$framework"
echo "  $root/ios/Sources/YannongFFI/YannongFFI.swift"
echo "next: open ios/Package.swift in Xcode (scheme Yannong), or add $root/ios as a local package"
