//! `uniffi-bindgen` built from the workspace's pinned uniffi, so generated code always matches
//! the scaffolding compiled into `yannong-ffi`.

fn main() {
    uniffi::uniffi_bindgen_main()
}
