import AVFoundation
import SwiftUI
import UIKit

/// 慧眼识烟 sample: point the back camera at a tobacco leaf; the core checks the live frames
/// one at a time and the screen shows its verdict, maturity, disease and advice.
@main
struct LeafCaptureApp: App {
    var body: some Scene {
        WindowGroup {
            LeafCheckView()
        }
    }
}

struct LeafCheckView: View {
    @StateObject private var camera = CameraModel()

    var body: some View {
        ZStack(alignment: .bottom) {
            switch camera.status {
            case .denied:
                CameraDeniedView()
            case let .failed(message):
                Text(message).padding()
            case .starting, .running:
                CameraPreview(session: camera.source.session).ignoresSafeArea()
            }
            if let answer = camera.answer {
                AnswerCard(answer: answer, problem: camera.problem).padding()
            } else if camera.status == .running {
                Text(Lang.pick(zh: "把一片烟叶放在画面中间", en: "Hold one leaf in the middle of the picture"))
                    .padding()
                    .background(.regularMaterial, in: Capsule())
                    .padding()
            }
        }
        .task { await camera.run() }
        .onReceive(NotificationCenter.default.publisher(for: UIDevice.orientationDidChangeNotification)) { _ in
            camera.followDeviceOrientation()
        }
    }
}

private struct AnswerCard: View {
    let answer: LeafAnswer
    let problem: String?

    var body: some View {
        VStack(alignment: .leading, spacing: 6) {
            Text(answer.verdict).font(.headline)
            if let maturity = answer.maturity {
                Label(maturity, systemImage: "leaf")
            }
            if let disease = answer.disease {
                Label(disease, systemImage: "cross.case")
            }
            ForEach(answer.hints, id: \.self) { Text($0).foregroundStyle(.secondary) }
            ForEach(answer.advice, id: \.self) { Text($0) }
            if let problem {
                Text(problem).font(.footnote).foregroundStyle(.red)
            }
        }
        .frame(maxWidth: .infinity, alignment: .leading)
        .padding()
        .background(.regularMaterial, in: RoundedRectangle(cornerRadius: 12))
    }
}

private struct CameraDeniedView: View {
    @Environment(\.openURL) private var openURL

    var body: some View {
        VStack(spacing: 12) {
            Text(Lang.pick(zh: "需要相机权限才能识别烟叶。", en: "The leaf check needs the camera."))
            if let settings = URL(string: UIApplication.openSettingsURLString) {
                Button(Lang.pick(zh: "去设置", en: "Open Settings")) { openURL(settings) }
            }
        }
        .padding()
    }
}

/// The camera picture, filling the screen.
private struct CameraPreview: UIViewRepresentable {
    let session: AVCaptureSession

    func makeUIView(context: Context) -> PreviewView {
        let view = PreviewView()
        view.previewLayer.session = session
        view.previewLayer.videoGravity = .resizeAspectFill
        return view
    }

    func updateUIView(_ uiView: PreviewView, context: Context) {}

    final class PreviewView: UIView {
        override class var layerClass: AnyClass { AVCaptureVideoPreviewLayer.self }

        // `layerClass` makes this cast always succeed.
        var previewLayer: AVCaptureVideoPreviewLayer { layer as! AVCaptureVideoPreviewLayer }
    }
}
