//! Forwards the core's `tracing` events to a log sink the app implements (Logcat, os_log).

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Once, RwLock};

use tracing::field::{Field, Visit};
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, uniffi::Enum)]
pub enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct LogRecord {
    pub level: LogLevel,
    /// The core module that logged, e.g. `yannong_core::curing::book`.
    pub target: String,
    /// The message followed by its fields as `key=value`.
    pub message: String,
}

/// Implemented by the app to receive the core's log lines. Called from core threads.
#[uniffi::export(with_foreign)]
pub trait LogSink: Send + Sync {
    fn log(&self, record: LogRecord);
}

static SINK: RwLock<Option<Arc<dyn LogSink>>> = RwLock::new(None);
/// Most verbose level forwarded, as `LogLevel as u8`; `OFF` when no sink is set.
static MAX_LEVEL: AtomicU8 = AtomicU8::new(OFF);
const OFF: u8 = u8::MAX;

/// Sends core log lines at `max_level` and above to `sink`, replacing any earlier sink.
#[uniffi::export]
pub fn set_log_sink(sink: Arc<dyn LogSink>, max_level: LogLevel) {
    install_subscriber();
    *SINK.write().unwrap_or_else(|p| p.into_inner()) = Some(sink);
    MAX_LEVEL.store(max_level as u8, Ordering::Relaxed);
}

/// Stops forwarding log lines.
#[uniffi::export]
pub fn clear_log_sink() {
    MAX_LEVEL.store(OFF, Ordering::Relaxed);
    *SINK.write().unwrap_or_else(|p| p.into_inner()) = None;
}

fn install_subscriber() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let subscriber = tracing_subscriber::registry().with(SinkLayer);
        // An app that installed its own global subscriber keeps it; we then stay silent.
        let _ = tracing::subscriber::set_global_default(subscriber);
    });
}

fn level_of(level: &Level) -> LogLevel {
    match *level {
        Level::ERROR => LogLevel::Error,
        Level::WARN => LogLevel::Warn,
        Level::INFO => LogLevel::Info,
        Level::DEBUG => LogLevel::Debug,
        _ => LogLevel::Trace,
    }
}

struct SinkLayer;

impl<S: Subscriber> Layer<S> for SinkLayer {
    // The level can change at run time, so never let tracing cache a verdict.
    fn register_callsite(&self, _: &'static Metadata<'static>) -> Interest {
        Interest::sometimes()
    }

    fn enabled(&self, metadata: &Metadata<'_>, _: Context<'_, S>) -> bool {
        let max = MAX_LEVEL.load(Ordering::Relaxed);
        max != OFF && (level_of(metadata.level()) as u8) <= max
    }

    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let Some(sink) = SINK.read().unwrap_or_else(|p| p.into_inner()).clone() else {
            return;
        };
        let mut visitor = MessageVisitor::default();
        event.record(&mut visitor);
        sink.log(LogRecord {
            level: level_of(event.metadata().level()),
            target: event.metadata().target().to_owned(),
            message: visitor.finish(),
        });
    }
}

#[derive(Default)]
struct MessageVisitor {
    message: String,
    fields: String,
}

impl MessageVisitor {
    fn finish(mut self) -> String {
        if !self.fields.is_empty() {
            if !self.message.is_empty() {
                self.message.push(' ');
            }
            self.message.push_str(self.fields.trim_start());
        }
        self.message
    }
}

impl Visit for MessageVisitor {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = write!(self.fields, " {}={value}", field.name());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.fields, " {}={value:?}", field.name());
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    #[derive(Default)]
    struct Collect(Mutex<Vec<LogRecord>>);

    impl LogSink for Collect {
        fn log(&self, record: LogRecord) {
            self.0.lock().unwrap().push(record);
        }
    }

    #[test]
    fn forwards_events_at_or_above_the_level() {
        let sink = Arc::new(Collect::default());
        set_log_sink(sink.clone(), LogLevel::Info);
        tracing::info!(id = "r1", steps = 7, "custom recipe saved");
        tracing::debug!("too verbose for Info");
        clear_log_sink();
        tracing::error!("after clearing");
        let got = sink.0.lock().unwrap();
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].level, LogLevel::Info);
        assert_eq!(got[0].message, "custom recipe saved id=r1 steps=7");
        assert!(got[0].target.starts_with("yannong_ffi"));
    }
}
