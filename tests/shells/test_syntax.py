"""What of the platform shells cannot be compiled here, checked as far as it can be.

No Android SDK, AndroidX or Gradle and no Apple SDKs exist on these machines, so the Android
app module, the Android-only library classes (`core/src/android`), the Gradle scripts and the
iOS samples are never compiled in CI. This catches what a parser can: Kotlin and Swift syntax
(tree-sitter), well-formed XML manifests and resources, valid property lists, and manifest
entries that name classes which do not exist. Compiling them is a job for a machine with the
SDKs (android/README.md, ios/README.md).
"""
import pathlib
import plistlib
import re
import xml.etree.ElementTree as ET

import pytest
import tree_sitter
import tree_sitter_kotlin
import tree_sitter_swift

ROOT = pathlib.Path(__file__).resolve().parents[2]
ANDROID = ROOT / "android"
IOS_SAMPLES = ROOT / "ios" / "Samples"
ANDROID_NS = "{http://schemas.android.com/apk/res/android}"


def files(base, *patterns):
    found = sorted({p for pattern in patterns for p in base.glob(pattern) if "/build/" not in p.as_posix()})
    return [pytest.param(p, id=p.relative_to(ROOT).as_posix()) for p in found]


# What CI compiles nowhere else: android/core/src/main and src/test are compiled with kotlinc
# by the kotlin step. ios/Sources is compiled by the swift step on Linux, but not its
# Apple-only `#if canImport(Security)` blocks (the Keychain store), which a parse does cover.
KOTLIN = files(ANDROID, "app/**/*.kt", "core/src/android/**/*.kt", "**/*.gradle.kts")
SWIFT = files(IOS_SAMPLES, "**/*.swift") + files(ROOT / "ios" / "Sources", "**/*.swift")
XML = files(ANDROID, "**/AndroidManifest.xml", "app/src/main/res/**/*.xml")
PLISTS = files(IOS_SAMPLES, "**/*.plist", "**/*.entitlements")
MANIFESTS = files(ANDROID, "**/src/main/AndroidManifest.xml")


def parser(language):
    return tree_sitter.Parser(tree_sitter.Language(language.language()))


KOTLIN_PARSER = parser(tree_sitter_kotlin)
SWIFT_PARSER = parser(tree_sitter_swift)


def syntax_errors(p, source):
    """(line, column, text) of every ERROR or MISSING node, 1-based."""
    out, stack = [], [p.parse(source).root_node]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            row, col = node.start_point
            snippet = source[node.start_byte:node.end_byte][:60].decode("utf-8", "replace")
            out.append((row + 1, col + 1, "missing " + node.type if node.is_missing else snippet))
        elif node.has_error:
            stack.extend(node.children)
    return sorted(out)


def test_the_check_finds_broken_code():
    """Guards the guard: a grammar that accepted anything would pass every file below."""
    assert syntax_errors(KOTLIN_PARSER, b"class A { fun f( { val = } }")
    assert syntax_errors(SWIFT_PARSER, b"struct A { func f( { let = } }")
    assert not syntax_errors(KOTLIN_PARSER, b"class A { fun f(x: Int) = x + 1 }")
    assert not syntax_errors(SWIFT_PARSER, b"struct A { func f(_ x: Int) -> Int { x + 1 } }")


def test_there_is_something_to_check():
    # An empty glob (files moved) would silently check nothing.
    assert KOTLIN and SWIFT and XML and PLISTS and MANIFESTS


@pytest.mark.parametrize("path", KOTLIN)
def test_kotlin_parses(path):
    assert syntax_errors(KOTLIN_PARSER, path.read_bytes()) == []


@pytest.mark.parametrize("path", SWIFT)
def test_swift_parses(path):
    assert syntax_errors(SWIFT_PARSER, path.read_bytes()) == []


@pytest.mark.parametrize("path", XML)
def test_android_xml_is_well_formed(path):
    ET.parse(path)


@pytest.mark.parametrize("path", PLISTS)
def test_plists_are_valid(path):
    with open(path, "rb") as f:
        assert isinstance(plistlib.load(f), dict)


def kotlin_classes(module):
    """Fully qualified names of the top-level classes and objects in a module's sources."""
    names = set()
    for src in sorted(module.glob("src/**/*.kt")):
        text = src.read_text(encoding="utf-8")
        package = re.search(r"^package\s+([\w.]+)", text, re.M)
        prefix = package.group(1) + "." if package else ""
        for m in re.finditer(r"^(?:[a-z]+\s+)*(?:class|object)\s+(\w+)", text, re.M):
            names.add(prefix + m.group(1))
    return names


@pytest.mark.parametrize("path", MANIFESTS)
def test_manifest_components_exist(path):
    """Every activity, service, receiver and provider the manifest declares from this module's
    package is a class in its sources (a renamed class would otherwise fail only at run time)."""
    module = path.parents[2]
    root = ET.parse(path).getroot()
    package = root.get("package") or namespace_from_gradle(module)
    app = root.find("application")
    declared = []
    if app is not None:
        if app.get(ANDROID_NS + "name"):
            declared.append(app.get(ANDROID_NS + "name"))
        for kind in ("activity", "service", "receiver", "provider"):
            declared += [e.get(ANDROID_NS + "name") for e in app.findall(kind)]
    ours = [full_name(n, package) for n in declared if n]
    ours = [n for n in ours if package and n.startswith(package + ".")]
    missing = sorted(set(ours) - kotlin_classes(module))
    assert missing == []


def namespace_from_gradle(module):
    gradle = module / "build.gradle.kts"
    if not gradle.exists():
        return None
    m = re.search(r'namespace\s*=\s*"([\w.]+)"', gradle.read_text(encoding="utf-8"))
    return m.group(1) if m else None


def full_name(name, package):
    return f"{package}{name}" if name.startswith(".") else name
