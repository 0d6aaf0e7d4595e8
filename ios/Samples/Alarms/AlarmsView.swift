import SwiftUI

struct AlarmsView: View {
    @ObservedObject var model: AlarmsModel
    @Environment(\.scenePhase) private var scenePhase

    var body: some View {
        NavigationView {
            content.navigationTitle(Lang.pick(zh: "烤房报警", en: "Barn alarms"))
        }
        .navigationViewStyle(.stack)
        .task { await model.start() }
        .onChange(of: scenePhase) { phase in
            // Back in front: fetch what pushes may have missed.
            if phase == .active { Task { await model.refresh() } }
            // Leaving: let go of the database the extension shares.
            if phase == .background { model.closeDatabase() }
        }
    }

    @ViewBuilder private var content: some View {
        switch model.screen {
        case .opening:
            ProgressView()
        case let .unavailable(message):
            Text(verbatim: message).padding()
        case .login:
            LoginForm(model: model)
        case .inbox:
            Inbox(model: model)
        }
    }
}

private struct LoginForm: View {
    @ObservedObject var model: AlarmsModel
    @State private var phone = ""
    @State private var password = ""

    var body: some View {
        Form {
            Section {
                TextField(Lang.pick(zh: "手机号", en: "Phone number"), text: $phone)
                    .keyboardType(.phonePad)
                    .textContentType(.telephoneNumber)
                SecureField(Lang.pick(zh: "密码", en: "Password"), text: $password)
                    .textContentType(.password)
            } footer: {
                if let notice = model.notice { Text(verbatim: notice) }
            }
            Button(Lang.pick(zh: "登录", en: "Log in")) {
                Task { await model.login(phone: phone, password: password) }
            }
            .disabled(phone.isEmpty || password.isEmpty || model.busy)
        }
    }
}

private struct Inbox: View {
    @ObservedObject var model: AlarmsModel

    var body: some View {
        List {
            if let notice = model.notice {
                Text(verbatim: notice).font(.footnote).foregroundStyle(.secondary)
            }
            ForEach(model.alarms) { alarm in
                VStack(alignment: .leading, spacing: 4) {
                    Text(verbatim: "【\(alarm.severity)】\(alarm.title)").font(.headline)
                    Text(verbatim: alarm.action)
                    Text(verbatim: "\(alarm.raisedAt.formatted(date: .abbreviated, time: .shortened)) · \(state(of: alarm))")
                        .font(.footnote).foregroundStyle(.secondary)
                }
                .swipeActions {
                    if !alarm.acknowledged {
                        Button(Lang.pick(zh: "确认", en: "Acknowledge")) {
                            Task { await model.acknowledge(alarm.id) }
                        }
                        .tint(.orange)
                    }
                }
            }
        }
        .refreshable { await model.refresh() }
        .toolbar {
            Button(Lang.pick(zh: "退出登录", en: "Log out")) { Task { await model.logout() } }
        }
    }

    private func state(of alarm: AlarmRow) -> String {
        switch (alarm.cleared, alarm.acknowledged) {
        case (true, true): return Lang.pick(zh: "已恢复 · 已确认", en: "Cleared · acknowledged")
        case (true, false): return Lang.pick(zh: "已恢复 · 未确认", en: "Cleared · not acknowledged")
        case (false, true): return Lang.pick(zh: "已确认", en: "Acknowledged")
        case (false, false): return Lang.pick(zh: "未确认", en: "Not acknowledged")
        }
    }
}
