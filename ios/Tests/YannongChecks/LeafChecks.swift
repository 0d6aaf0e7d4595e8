// Checks of the leaf check (LeafChecker.swift) against the real core. The photos of the shared
// data folder are outside the Swift chroot, so the pictures are made here: a PNG written by
// hand (stored deflate) and raw BGRA / NV12 buffers. The model folder is not staged either:
// the checker runs on the colour rule (`YANNONG_LEAF_MODEL` names a model folder if one is
// reachable).

import Foundation
#if canImport(Yannong)
import Yannong
#endif

@MainActor func leafChecks() async {
    let modelDirectory = ProcessInfo.processInfo.environment["YANNONG_LEAF_MODEL"]
        .map { URL(fileURLWithPath: $0) }

    await test("leaf check: a PNG photo and raw BGRA/NV12 frames give answers") { t in
        let checker = try await LeafChecker.open(modelDirectory: modelDirectory, languageTag: "en")
        let (w, h) = (96, 64)
        let png = leafPNG(width: w, height: h)
        let photo = try await checker.check(photo: png)
        t.expect(photo.json.contains("\"verdict\""), "the JSON form is there")
        t.expect(photo.thumbnail.count > 100, "a thumbnail (\(photo.thumbnail.count) bytes)")
        t.expect(!photo.quality.metrics.meanLuma.isNaN, "quality was measured")
        t.note("photo: \(photo.verdict), coverage \(photo.quality.metrics.leafCoverage)")

        var bgra = [UInt8](repeating: 0, count: w * h * 4)
        for i in 0..<(w * h) {
            let (r, g, b) = leafColour(i % w, i / w, w, h)
            bgra[4 * i] = b
            bgra[4 * i + 1] = g
            bgra[4 * i + 2] = r
            bgra[4 * i + 3] = 255
        }
        let fromBGRA = try await checker.check(
            bgra: Data(bgra), width: w, height: h, bytesPerRow: w * 4,
            options: LeafChecker.photoOptions)
        // As a locked CVPixelBuffer gives it: a raw pointer, copied by `frame` (zero-copy here).
        let pixels = UnsafeMutableRawBufferPointer.allocate(byteCount: bgra.count, alignment: 16)
        defer { pixels.deallocate() }
        pixels.copyBytes(from: bgra)
        let captured = try LeafChecker.frame(
            bgra: UnsafeRawBufferPointer(pixels), width: w, height: h, bytesPerRow: w * 4)
        pixels.initializeMemory(as: UInt8.self, repeating: 0)  // the frame has its own copy
        t.equal(
            try await checker.check(captured, options: LeafChecker.photoOptions).quality,
            fromBGRA.quality, "captured frame = Data frame")
        t.equal(fromBGRA.verdict, photo.verdict, "BGRA frame and PNG photo agree")

        // NV12 of a flat leaf green, full range.
        let (y, cb, cr) = (UInt8(120), UInt8(100), UInt8(110))
        let yPlane = [UInt8](repeating: y, count: w * h)
        var uv = [UInt8](repeating: 0, count: w * h / 2)
        for i in stride(from: 0, to: uv.count, by: 2) {
            uv[i] = cb
            uv[i + 1] = cr
        }
        let frame = try yPlane.withUnsafeBytes { yb in
            try uv.withUnsafeBytes { uvb in
                try LeafChecker.frame(
                    y: yb, uv: uvb, width: w, height: h, yBytesPerRow: w, uvBytesPerRow: w,
                    fullRange: true, rotationDegrees: 90)
            }
        }
        let fromNV12 = try await checker.check(frame)
        t.expect(fromNV12.quality.metrics.meanLuma > 0, "NV12 frame measured")
    }

    await test("leaf check: garbage and malformed frames throw the typed error") { t in
        let checker = try await LeafChecker.open(modelDirectory: nil, languageTag: "en")
        t.expect(checker.model == nil, "colour-only checker")
        let garbage = await t.error("random bytes") {
            _ = try await checker.check(photo: Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 7919) }))
        }
        t.equal((garbage as? YannongError)?.field, "photo", "garbage is an unreadable photo")
        let truncated = await t.error("a truncated PNG") {
            _ = try await checker.check(photo: leafPNG(width: 32, height: 32).prefix(60))
        }
        t.equal((truncated as? YannongError)?.field, "photo", "truncated PNG")
        let short = await t.error("a BGRA buffer shorter than its rows") {
            let frame = try [UInt8](repeating: 0, count: 100).withUnsafeBytes {
                try LeafChecker.frame(bgra: $0, width: 64, height: 64, bytesPerRow: 256)
            }
            _ = try await checker.check(frame)
        }
        t.equal((short as? YannongError)?.field, "bgra", "short buffer names the plane")
        let rotation = await t.error("rotation 45°") {
            _ = try [UInt8](repeating: 0, count: 64).withUnsafeBytes {
                try LeafChecker.frame(bgra: $0, width: 4, height: 4, bytesPerRow: 16, rotationDegrees: 45)
            }
        }
        t.equal((rotation as? YannongError)?.field, "rotation_degrees", "rotation")
        let stride = await t.error("stride below a row") {
            let frame = try [UInt8](repeating: 0, count: 64 * 64 * 4).withUnsafeBytes {
                try LeafChecker.frame(bgra: $0, width: 64, height: 64, bytesPerRow: 100)
            }
            _ = try await checker.check(frame)
        }
        t.equal((stride as? YannongError)?.field, "row_stride", "stride")
        // Still answers afterwards.
        _ = try await checker.check(photo: leafPNG(width: 40, height: 40))
    }

    await test("leaf check: history roundtrip (generated API)") { t in
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("yannong-leaf-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let core = try await Yannong.open(config: YannongConfig(dataDir: dir.path, locale: "en"))
        let checker = try await LeafChecker.open(modelDirectory: modelDirectory, languageTag: "en")
        let result = try await checker.check(photo: leafPNG(width: 64, height: 64))
        let id = try await core.saveLeafCheck(result: result)
        let list = try await core.leafChecks(limit: 10, before: nil)
        t.equal(list.map(\.id), [id], "one saved check")
        t.equal(list.first?.verdict, result.verdict, "its verdict")
        t.equal(try await core.leafCheckDetail(id: id)?.json, result.json, "its JSON")
        t.expect(try await core.setLeafCheckNote(id: id, note: "东地块"), "note set")
        t.equal(try await core.leafChecks(limit: 10, before: nil).first?.note, "东地块", "note")
        t.expect(try await core.removeLeafCheck(id: id), "removed")
        t.expect(try await core.leafCheckDetail(id: id) == nil, "gone")
    }
}

/// A leaf-green picture with darker veins, as (r, g, b).
func leafColour(_ x: Int, _ y: Int, _ w: Int, _ h: Int) -> (UInt8, UInt8, UInt8) {
    let vein = abs(x - w / 2) < 2 || (x + y) % 17 == 0
    let shade = UInt8(truncatingIfNeeded: (x * 40) / max(w, 1))
    return vein ? (150, 170, 90) : (70 &+ shade, 130 &+ shade, 40)
}

/// An RGB PNG of `leafColour`, deflate "stored" blocks (no compression library needed).
func leafPNG(width w: Int, height h: Int) -> Data {
    var raw = [UInt8]()
    raw.reserveCapacity((w * 3 + 1) * h)
    for y in 0..<h {
        raw.append(0)  // filter: none
        for x in 0..<w {
            let (r, g, b) = leafColour(x, y, w, h)
            raw += [r, g, b]
        }
    }
    var zlib: [UInt8] = [0x78, 0x01]
    var offset = 0
    repeat {
        let n = min(65_535, raw.count - offset)
        let last: UInt8 = offset + n == raw.count ? 1 : 0
        zlib += [last, UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)]
        zlib += raw[offset..<(offset + n)]
        offset += n
    } while offset < raw.count
    var a: UInt32 = 1
    var b: UInt32 = 0
    for byte in raw {
        a = (a + UInt32(byte)) % 65_521
        b = (b + a) % 65_521
    }
    zlib += bigEndian((b << 16) | a)

    var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    func chunk(_ type: String, _ body: [UInt8]) {
        let typed = Array(type.utf8) + body
        png += bigEndian(UInt32(body.count)) + typed + bigEndian(crc32(typed))
    }
    chunk("IHDR", bigEndian(UInt32(w)) + bigEndian(UInt32(h)) + [8, 2, 0, 0, 0])
    chunk("IDAT", zlib)
    chunk("IEND", [])
    return Data(png)
}

func bigEndian(_ v: UInt32) -> [UInt8] {
    [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
}

func crc32(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 {
            crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1
        }
    }
    return ~crc
}
