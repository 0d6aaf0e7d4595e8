//! A server-sent events parser (the subset the platform sends: `event`, `data`, comments),
//! fed with whatever chunks the network delivers. Bytes from the network are not trusted: a
//! line longer than [`MAX_LINE`] is an error, not a reason to grow memory without bound.

/// Longest line accepted; a reading event is ~400 bytes.
pub const MAX_LINE: usize = 64 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    pub event: String,
    pub data: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SseError {
    #[error("event stream line longer than {MAX_LINE} bytes")]
    LineTooLong,
    #[error("event stream is not UTF-8")]
    NotUtf8,
}

#[derive(Debug, Default)]
pub struct SseParser {
    line: Vec<u8>,
    event: String,
    data: Vec<String>,
}

impl SseParser {
    /// Feeds a chunk; returns the events it completed.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<Vec<SseEvent>, SseError> {
        let mut out = Vec::new();
        for &b in chunk {
            if b == b'\n' {
                let line = std::mem::take(&mut self.line);
                let line = line.strip_suffix(b"\r").unwrap_or(&line);
                let line = std::str::from_utf8(line).map_err(|_| SseError::NotUtf8)?;
                if let Some(ev) = self.line_done(line) {
                    out.push(ev);
                }
            } else {
                if self.line.len() >= MAX_LINE {
                    return Err(SseError::LineTooLong);
                }
                self.line.push(b);
            }
        }
        Ok(out)
    }

    fn line_done(&mut self, line: &str) -> Option<SseEvent> {
        if line.is_empty() {
            if self.data.is_empty() {
                self.event.clear();
                return None;
            }
            let event = std::mem::take(&mut self.event);
            return Some(SseEvent {
                event: if event.is_empty() {
                    "message".into()
                } else {
                    event
                },
                data: std::mem::take(&mut self.data).join("\n"),
            });
        }
        if line.starts_with(':') {
            return None; // keep-alive comment
        }
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "event" => self.event = value.to_owned(),
            "data" => self.data.push(value.to_owned()),
            _ => {} // id, retry and unknown fields: the platform does not use them
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn parses_events_split_anywhere() {
        let stream = b": keep-alive\n\nevent: reading\ndata: {\"a\":1}\n\nevent: lagged\r\ndata: sync\r\n\r\ndata: x\ndata: y\n\n";
        let expected = vec![
            SseEvent {
                event: "reading".into(),
                data: "{\"a\":1}".into(),
            },
            SseEvent {
                event: "lagged".into(),
                data: "sync".into(),
            },
            SseEvent {
                event: "message".into(),
                data: "x\ny".into(),
            },
        ];
        for split in 0..stream.len() {
            let mut p = SseParser::default();
            let mut got = p.feed(&stream[..split]).unwrap();
            got.extend(p.feed(&stream[split..]).unwrap());
            assert_eq!(got, expected, "split at {split}");
        }
    }

    #[test]
    fn endless_lines_and_bad_utf8_are_errors() {
        let mut p = SseParser::default();
        assert_eq!(
            p.feed(&vec![b'a'; MAX_LINE + 1]),
            Err(SseError::LineTooLong)
        );
        let mut p = SseParser::default();
        assert_eq!(p.feed(b"data: \xff\n"), Err(SseError::NotUtf8));
    }

    proptest! {
        #[test]
        fn garbage_never_panics(chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..200), 0..20)) {
            let mut p = SseParser::default();
            for c in chunks {
                if p.feed(&c).is_err() {
                    break;
                }
            }
        }
    }
}
