//! The log lines of the services running in the test, captured as JSON.

use serde_json::Value;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tracing_subscriber::fmt::writer::BoxMakeWriter;

/// Every line logged so far.
#[derive(Clone, Default)]
pub struct LogLines(Arc<Mutex<Vec<u8>>>);

impl Write for LogLines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl LogLines {
    /// Where the subscriber writes its lines.
    pub fn writer(&self) -> BoxMakeWriter {
        let lines = self.clone();
        BoxMakeWriter::new(move || lines.clone())
    }

    fn parsed(&self) -> Vec<Value> {
        let bytes = self.0.lock().unwrap().clone();
        String::from_utf8_lossy(&bytes)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
            .collect()
    }

    /// The first line that `pred` picks, waiting for it to be logged.
    pub async fn wait_for(&self, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(line) = self.parsed().into_iter().find(|l| pred(l)) {
                return line;
            }
            assert!(Instant::now() < deadline, "no such log line was logged");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
