//! Observability: the Prometheus metrics behind `GET /metrics` and the one log line per
//! request.
//!
//! Each [`Metrics`] owns its own recorder instead of installing the process-wide one, so
//! every router (one per test, one in the binary) counts only its own requests, and no
//! "recorder already installed" error can happen. Labels are bounded: the route is the
//! matched path template (`/.../users/{userExtId}/mtans/{extId}`), never the raw URI;
//! requests that match no route share one label; a method outside the standard ones is
//! `other` (a client can send any token as a method, and each new label value would be a
//! series kept for the life of the process).
//!
//! The log line quotes every value a client chose (the request id): a value with spaces
//! or `key=value` pairs cannot pass for fields of its own.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics::{counter, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusRecorder};
use tracing::Instrument;

use crate::app::AppState;
use crate::error::codes;

pub const REQUESTS_TOTAL: &str = "http_requests_total";
pub const REQUEST_DURATION: &str = "http_request_duration_seconds";
pub const OPTIMISTIC_LOCK_CONFLICTS: &str = "idm_optimistic_lock_conflicts_total";
pub const DB_CONNECTIONS_IN_USE: &str = "idm_db_pool_connections_in_use";
pub const DB_CONNECTIONS_IDLE: &str = "idm_db_pool_connections_idle";
pub const DB_READ_BATCHES: &str = "idm_db_read_batches_total";
pub const DB_READ_BATCH_ROWS: &str = "idm_db_read_batch_rows_total";
pub const DB_WRITE_BATCHES: &str = "idm_db_write_batches_total";
pub const DB_WRITE_BATCH_ROWS: &str = "idm_db_write_batch_rows_total";
pub const DB_WRITE_BATCH_SPLITS: &str = "idm_db_write_batch_splits_total";

/// The `route` label of requests that matched no route (bounded cardinality).
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// The `method` label of a method outside [`method_label`]'s standard set.
pub const OTHER_METHOD: &str = "other";

/// The method as a label from a bounded set: the methods of RFC 9110 and PATCH, else
/// [`OTHER_METHOD`].
pub fn method_label(method: &Method) -> &'static str {
    match method.as_str() {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PUT" => "PUT",
        "DELETE" => "DELETE",
        "CONNECT" => "CONNECT",
        "OPTIONS" => "OPTIONS",
        "TRACE" => "TRACE",
        "PATCH" => "PATCH",
        _ => OTHER_METHOD,
    }
}

/// Latency buckets in seconds: from a cached read to the request timeout.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

const UPKEEP_INTERVAL: Duration = Duration::from_secs(5);

/// The error code of an [`crate::error::ApiError`] response, left in the response
/// extensions so the middleware can count conflicts without parsing bodies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ErrorCode(pub &'static str);

/// The recorder of one application.
#[derive(Clone)]
pub struct Metrics {
    recorder: Arc<PrometheusRecorder>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        // Buckets make the latency a histogram (a summary cannot be aggregated across
        // replicas); this only fails for an empty bucket list.
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(REQUEST_DURATION.into()), LATENCY_BUCKETS)
            .unwrap_or_else(|_| PrometheusBuilder::new());
        Self {
            recorder: Arc::new(builder.build_recorder()),
        }
    }

    /// Runs `record` against this application's recorder.
    fn record(&self, record: impl FnOnce()) {
        metrics::with_local_recorder(self.recorder.as_ref(), record);
    }

    /// Drains histogram samples into their buckets every few seconds, as the exporter's own
    /// installer would: without it, samples pile up in memory between scrapes (or forever
    /// when nobody scrapes). Stops with the runtime.
    pub fn spawn_upkeep(&self) {
        let handle = self.recorder.handle();
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(UPKEEP_INTERVAL);
            loop {
                ticks.tick().await;
                handle.run_upkeep();
            }
        });
    }

    /// The Prometheus text exposition of everything recorded so far.
    pub fn render(&self) -> String {
        self.recorder.handle().render()
    }
}

/// `GET /metrics`: pool gauges and read and write batch counters are read now, so they are fresh
/// at every scrape.
pub async fn scrape(State(state): State<AppState>) -> Response {
    let (size, idle) = state.store.pool_stats();
    let batches = state.store.write_batch_stats();
    let reads = state.store.read_batch_stats();
    state.metrics.record(|| {
        gauge!(DB_CONNECTIONS_IN_USE).set(f64::from(size.saturating_sub(idle)));
        gauge!(DB_CONNECTIONS_IDLE).set(f64::from(idle));
        if let Some(batches) = batches {
            counter!(DB_WRITE_BATCHES).absolute(batches.statements);
            counter!(DB_WRITE_BATCH_ROWS).absolute(batches.rows);
            counter!(DB_WRITE_BATCH_SPLITS).absolute(batches.splits);
        }
        if let Some(reads) = reads {
            counter!(DB_READ_BATCHES).absolute(reads.statements);
            counter!(DB_READ_BATCH_ROWS).absolute(reads.reads);
        }
    });
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        state.metrics.render(),
    )
        .into_response()
}

/// Wraps every request: a span carrying the request id (so handler logs have it), one
/// `request` log line when the response is ready, and the request metrics.
pub async fn observe(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = method_label(request.method());
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| path.as_str().to_owned())
        .unwrap_or_else(|| UNMATCHED_ROUTE.to_owned());
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    // Only the id: it ties handler logs to the request line, which has the rest. Each span
    // field is formatted when the span is made, on every request.
    let span = tracing::info_span!("request", request_id = request_id.as_str());
    let response = next.run(request).instrument(span).await;
    let latency = started.elapsed();
    let status = response.status();
    let error_code = response.extensions().get::<ErrorCode>().map(|code| code.0);
    state.metrics.record(|| {
        let labels = [
            ("method", method.to_owned()),
            ("route", route.clone()),
            ("status", status.as_u16().to_string()),
        ];
        counter!(REQUESTS_TOTAL, &labels).increment(1);
        histogram!(REQUEST_DURATION, &labels[..2]).record(latency.as_secs_f64());
        if error_code == Some(codes::OPTIMISTIC_LOCKING) {
            counter!(OPTIMISTIC_LOCK_CONFLICTS, &labels).increment(1);
        }
    });
    let latency_ms = latency.as_secs_f64() * 1000.0;
    let status = status.as_u16();
    if status >= StatusCode::INTERNAL_SERVER_ERROR.as_u16() {
        tracing::warn!(method, %route, status, latency_ms, request_id = request_id.as_str(), error_code, "request");
    } else {
        tracing::info!(method, %route, status, latency_ms, request_id = request_id.as_str(), error_code, "request");
    }
    response
}
