import AVFoundation
import os
import UIKit
import Yannong

/// The back camera as a stream of leaf frames. Each '420f' pixel buffer's two planes are
/// copied into the core while the buffer is locked, and the buffer goes straight back to the
/// camera. Only one frame is out at a time: until the consumer calls ``frameDone()``, new
/// buffers are dropped without being copied, so a slow check never builds a queue.
final class FrameSource: NSObject, @unchecked Sendable {
    /// For the preview layer. Configured, started and stopped on `queue` only.
    let session = AVCaptureSession()

    /// Serial: configuration, start/stop and every sample buffer run here, in order.
    private let queue = DispatchQueue(label: "cn.yannong.samples.camera")
    private let output = AVCaptureVideoDataOutput()
    private var configured = false  // on `queue`

    // Shared between `queue` and the consumer's task, under `lock`.
    private let lock = NSLock()
    private var state = State()

    private struct State {
        var continuation: AsyncStream<LeafFrame>.Continuation?
        var run = 0
        var busy = false
        /// Portrait until the device says otherwise.
        var rotationDegrees = 90
    }

    private static let log = Logger(subsystem: "cn.yannong.samples", category: "camera")

    /// Starts the camera. Frames arrive on the returned stream until ``stop()`` or until the
    /// consumer stops iterating (which stops the camera); call ``frameDone()`` after each.
    func start() async throws -> AsyncStream<LeafFrame> {
        let (frames, continuation) = AsyncStream.makeStream(
            of: LeafFrame.self, bufferingPolicy: .bufferingNewest(1))
        let (run, previous) = withState { state -> (Int, AsyncStream<LeafFrame>.Continuation?) in
            let previous = state.continuation
            state.continuation = continuation
            state.busy = false
            state.run += 1
            return (state.run, previous)
        }
        previous?.finish()  // outside the lock: its onTermination takes the lock
        // Only this run's end may stop the camera, not a late end of an earlier one.
        continuation.onTermination = { [weak self] _ in self?.stop(run: run) }
        do {
            try await withCheckedThrowingContinuation { (started: CheckedContinuation<Void, Error>) in
                queue.async {
                    do {
                        try self.configureIfNeeded()
                        self.session.startRunning()  // blocks until running: never on the main thread
                        started.resume()
                    } catch {
                        started.resume(throwing: error)
                    }
                }
            }
        } catch {
            stop(run: run)
            throw error
        }
        return frames
    }

    /// Stops the camera and ends the stream.
    func stop() {
        stop(run: nil)
    }

    /// The consumer is done with the last frame: the next buffer may be copied.
    func frameDone() {
        withState { $0.busy = false }
    }

    /// Follows how the phone is held. The back camera's buffers are landscape (home button on
    /// the right); the connection is left unrotated, which is cheaper, and the core turns the
    /// frame upright instead. Face up or down keeps the last value: a leaf on a table is
    /// photographed from above.
    func follow(_ orientation: UIDeviceOrientation) {
        let degrees: Int
        switch orientation {
        case .portrait: degrees = 90
        case .landscapeLeft: degrees = 0
        case .portraitUpsideDown: degrees = 270
        case .landscapeRight: degrees = 180
        default: return
        }
        withState { $0.rotationDegrees = degrees }
    }

    private func stop(run: Int?) {
        let continuation: AsyncStream<LeafFrame>.Continuation? = withState { state in
            guard run == nil || run == state.run else { return nil }
            defer { state.continuation = nil }
            return state.continuation
        }
        guard let continuation else { return }
        continuation.finish()
        queue.async {
            if self.session.isRunning { self.session.stopRunning() }
        }
    }

    private func withState<R>(_ body: (inout State) -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return body(&state)
    }

    /// On `queue`.
    private func configureIfNeeded() throws {
        guard !configured else { return }
        guard let camera = AVCaptureDevice.default(.builtInWideAngleCamera, for: .video, position: .back)
        else { throw CameraError.noCamera }
        let input = try AVCaptureDeviceInput(device: camera)
        session.beginConfiguration()
        defer { session.commitConfiguration() }
        // 720p is plenty for the quality gate and the model's 192-pixel input, and keeps each copy small.
        if session.canSetSessionPreset(.hd1280x720) { session.sessionPreset = .hd1280x720 }
        output.videoSettings = [
            kCVPixelBufferPixelFormatTypeKey as String: kCVPixelFormatType_420YpCbCr8BiPlanarFullRange,
        ]
        output.alwaysDiscardsLateVideoFrames = true
        output.setSampleBufferDelegate(self, queue: queue)
        guard session.canAddInput(input), session.canAddOutput(output) else { throw CameraError.noCamera }
        session.addInput(input)
        session.addOutput(output)
        configured = true
    }

    /// Copies a locked '420f' buffer into the core: plane 0 (Y) and plane 1 (interleaved CbCr),
    /// each with its own bytes per row (rows may be padded). The frame keeps its own copy, so
    /// the buffer is unlocked and released as soon as this returns.
    static func frame(from pixelBuffer: CVPixelBuffer, rotationDegrees: Int) throws -> LeafFrame {
        guard CVPixelBufferLockBaseAddress(pixelBuffer, .readOnly) == kCVReturnSuccess else {
            throw CameraError.unreadableFrame
        }
        defer { CVPixelBufferUnlockBaseAddress(pixelBuffer, .readOnly) }
        guard CVPixelBufferGetPixelFormatType(pixelBuffer) == kCVPixelFormatType_420YpCbCr8BiPlanarFullRange,
              CVPixelBufferGetPlaneCount(pixelBuffer) == 2,
              let y = CVPixelBufferGetBaseAddressOfPlane(pixelBuffer, 0),
              let uv = CVPixelBufferGetBaseAddressOfPlane(pixelBuffer, 1)
        else { throw CameraError.unreadableFrame }
        let width = CVPixelBufferGetWidthOfPlane(pixelBuffer, 0)
        let height = CVPixelBufferGetHeightOfPlane(pixelBuffer, 0)
        let yBytesPerRow = CVPixelBufferGetBytesPerRowOfPlane(pixelBuffer, 0)
        let uvBytesPerRow = CVPixelBufferGetBytesPerRowOfPlane(pixelBuffer, 1)
        let uvHeight = CVPixelBufferGetHeightOfPlane(pixelBuffer, 1)  // height / 2
        return try LeafChecker.frame(
            y: UnsafeRawBufferPointer(start: y, count: yBytesPerRow * height),
            uv: UnsafeRawBufferPointer(start: uv, count: uvBytesPerRow * uvHeight),
            width: width, height: height,
            yBytesPerRow: yBytesPerRow, uvBytesPerRow: uvBytesPerRow,
            fullRange: true, rotationDegrees: rotationDegrees)
    }
}

extension FrameSource: AVCaptureVideoDataOutputSampleBufferDelegate {
    /// On `queue`.
    func captureOutput(_ output: AVCaptureOutput, didOutput sampleBuffer: CMSampleBuffer,
                       from connection: AVCaptureConnection) {
        // Claim the one slot before copying anything; while it is taken the buffer is dropped.
        let claim: (AsyncStream<LeafFrame>.Continuation, Int)? = withState { state in
            guard let continuation = state.continuation, !state.busy else { return nil }
            state.busy = true
            return (continuation, state.rotationDegrees)
        }
        guard let claim else { return }
        let (continuation, rotationDegrees) = claim
        do {
            guard let pixelBuffer = CMSampleBufferGetImageBuffer(sampleBuffer) else {
                throw CameraError.unreadableFrame
            }
            continuation.yield(try Self.frame(from: pixelBuffer, rotationDegrees: rotationDegrees))
        } catch {
            Self.log.error("frame skipped: \(userMessage(for: error), privacy: .public)")
            frameDone()
        }
    }
}

enum CameraError: LocalizedError {
    case noCamera
    case unreadableFrame

    var errorDescription: String? {
        switch self {
        case .noCamera: return Lang.pick(zh: "找不到后置相机。", en: "No back camera found.")
        case .unreadableFrame: return Lang.pick(zh: "相机画面无法读取。", en: "The camera frame could not be read.")
        }
    }
}
