// Re-exports the generated bindings so an app needs only `import Yannong`: the records and
// enums the client returns (`Recipe`, `ExpectedCurve`, `LeafPosition`, `YannongError`, ...) are
// declared there.
//
// In the SwiftPM/Xcode layout the generated code is its own module, `YannongFFI`. When
// everything is compiled as one module (a quick Linux check), that module does not exist and
// its declarations are already in scope, hence the `canImport` guard (used in every file).
#if canImport(YannongFFI)
@_exported import YannongFFI
#endif
