//! Where log lines go: stderr, through a buffer.
//!
//! The server logs one line per request. Written straight to stderr that is one `write`
//! system call per request, and under the PATCH benchmark logging cost about a tenth of
//! the throughput. Lines are kept whole in a buffer instead and written in batches: when
//! the buffer fills, every [`FLUSH_EVERY`] from a small thread, and on [`LogBuffer::flush`]
//! (at exit, and from the panic hook). A line reaches stderr at most that long after it
//! was logged.

use std::io::{self, BufWriter, Stderr, Write};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tracing_subscriber::fmt::MakeWriter;

/// How long a log line may wait in the buffer.
pub const FLUSH_EVERY: Duration = Duration::from_millis(100);

const CAPACITY: usize = 64 * 1024;

/// A buffered stderr shared by every log line (a `MakeWriter` for tracing-subscriber).
#[derive(Clone)]
pub struct LogBuffer {
    stderr: Arc<Mutex<BufWriter<Stderr>>>,
}

impl LogBuffer {
    /// The buffer, and the thread that flushes it every [`FLUSH_EVERY`].
    pub fn stderr() -> Self {
        let buffer = Self {
            stderr: Arc::new(Mutex::new(BufWriter::with_capacity(CAPACITY, io::stderr()))),
        };
        let flusher = buffer.clone();
        let spawned = std::thread::Builder::new()
            .name("log-flush".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(FLUSH_EVERY);
                    flusher.flush();
                }
            });
        if spawned.is_err() {
            // Without the thread nothing would bound the delay: write every line at once.
            return Self {
                stderr: Arc::new(Mutex::new(BufWriter::with_capacity(0, io::stderr()))),
            };
        }
        buffer
    }

    /// Writes out what is buffered.
    pub fn flush(&self) {
        // Nowhere to report a failing stderr; the next flush tries again.
        let _ = self.lock().flush();
    }

    fn lock(&self) -> MutexGuard<'_, BufWriter<Stderr>> {
        // A panic while holding the lock leaves at worst a partial line; keep logging.
        self.stderr
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// One log line being written; it holds the lock, so lines never interleave.
pub struct LogLine<'a>(MutexGuard<'a, BufWriter<Stderr>>);

impl Write for LogLine<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.write(bytes)
    }

    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.0.write_all(bytes)
    }

    /// Left to the flusher: flushing per line is what the buffer is there to avoid.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for LogBuffer {
    type Writer = LogLine<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        LogLine(self.lock())
    }
}
