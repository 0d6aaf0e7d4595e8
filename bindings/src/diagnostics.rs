//! Probes of the FFI seam itself, for the app's health check and the FFI benchmark: they do the
//! least work that still proves the call and its bytes really crossed.

/// Returns `n + 1`: the cost of a bare call.
#[uniffi::export]
pub fn diagnostics_ping(n: u64) -> u64 {
    n.wrapping_add(1)
}

/// Sum of all bytes of `data`, passed by copy (Kotlin `ByteArray`, Swift `Data`).
#[uniffi::export]
pub fn diagnostics_checksum(data: Vec<u8>) -> u64 {
    checksum(&data)
}

/// Sum of all bytes of `data`, passed without copying (Kotlin direct `ByteBuffer`; pass
/// `buffer.slice()` since the buffer's position is ignored).
#[uniffi::export]
pub fn diagnostics_checksum_direct(data: &[u8]) -> u64 {
    checksum(data)
}

fn checksum(data: &[u8]) -> u64 {
    data.iter().map(|&b| u64::from(b)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probes() {
        assert_eq!(diagnostics_ping(41), 42);
        assert_eq!(diagnostics_ping(u64::MAX), 0);
        assert_eq!(diagnostics_checksum(vec![1, 2, 255]), 258);
        assert_eq!(diagnostics_checksum_direct(&[]), 0);
    }
}
