//! The application: shared state and the router with its middleware (serving: `server`).

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::Method;
use axum::http::header::{self, AUTHORIZATION, HeaderName, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;

use crate::auth::{Caller, Keys};
use crate::config::{Encryption, Settings, Signing};
use crate::error::ApiError;
use crate::observe::{self, Metrics};
use crate::service::Ctx;
use crate::store::{Store, StoreError};

pub use crate::domain::secret_box::SecretKey;

/// What every request handler can reach.
#[derive(Clone, Debug)]
pub struct AppState {
    pub store: Store,
    pub keys: Arc<Keys>,
    pub secret_key: Arc<SecretKey>,
    pub metrics: Metrics,
}

impl AppState {
    pub fn ctx<'a>(&'a self, caller: &'a Caller) -> Ctx<'a> {
        Ctx {
            store: &self.store,
            caller,
            secret_key: &self.secret_key,
        }
    }

    /// Builds the state from settings: secrets come from the configuration or, when it
    /// has none, from the database (generated once, shared by every process).
    pub async fn initialize(store: Store, settings: &Settings) -> Result<Self, StoreError> {
        let keys = load_keys(
            &store,
            &settings.signing,
            settings.jwt_public_key_file.as_deref(),
        )
        .await?
        .with_x_token_ttl(settings.x_token_ttl);
        let secret_key = load_secret_key(&store, &settings.encryption).await?;
        Ok(Self {
            store,
            keys: Arc::new(keys),
            secret_key: Arc::new(secret_key),
            metrics: Metrics::new(),
        })
    }
}

/// The key for secrets at rest: `IDM_SECRET_KEY`, or the key kept in the database.
pub async fn load_secret_key(
    store: &Store,
    encryption: &Encryption,
) -> Result<SecretKey, StoreError> {
    match &encryption.secret_key {
        Some(text) => decode_key(text),
        None => {
            let candidate = STANDARD.encode(rand::random::<[u8; 32]>());
            decode_key(
                &store
                    .setting_or_insert("oath_secret_key", &candidate)
                    .await?,
            )
        }
    }
}

fn decode_key(text: &str) -> Result<SecretKey, StoreError> {
    let bytes = STANDARD
        .decode(text.trim())
        .map_err(|_| StoreError::Config("IDM_SECRET_KEY must be base64".into()))?;
    let key: [u8; 32] = bytes
        .try_into()
        .map_err(|_| StoreError::Config("IDM_SECRET_KEY must decode to 32 bytes".into()))?;
    Ok(SecretKey(key))
}

/// The `settings` row that keeps the generated JWT secret.
pub const JWT_SECRET_SETTING: &str = "jwt_secret";

/// The JWT keys: `IDM_JWT_SECRET`, or the secret kept in the database.
pub async fn load_keys(
    store: &Store,
    signing: &Signing,
    public_key_file: Option<&std::path::Path>,
) -> Result<Keys, StoreError> {
    let secret = match &signing.jwt_secret {
        Some(secret) => secret.clone(),
        None => {
            let candidate = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
            store
                .setting_or_insert(JWT_SECRET_SETTING, &candidate)
                .await?
        }
    };
    let mut keys = Keys::new(secret.as_bytes())
        .with_issuer(signing.jwt_issuer.clone())
        .with_audience(signing.jwt_audience.clone());
    if let Some(path) = public_key_file {
        let pem = std::fs::read(path).map_err(|e| {
            StoreError::Config(format!(
                "cannot read IDM_JWT_PUBLIC_KEY_FILE {}: {e}",
                path.display()
            ))
        })?;
        keys = keys.with_public_key_pem(&pem).map_err(StoreError::Config)?;
    }
    Ok(keys)
}

/// HTTP limits and policies applied to every request, and what the router serves besides
/// the API.
#[derive(Clone, Debug)]
pub struct Limits {
    pub body_limit: usize,
    pub request_timeout: Duration,
    /// Serve the Swagger UI at `/swagger-ui` (`IDM_SWAGGER_UI`).
    pub swagger_ui: bool,
    /// Origins allowed by CORS; empty: no CORS headers, preflights are not answered.
    pub cors_origins: Vec<HeaderValue>,
}

impl Limits {
    pub fn from_settings(settings: &Settings) -> Self {
        Self {
            body_limit: settings.body_limit,
            request_timeout: settings.request_timeout,
            swagger_ui: settings.swagger_ui,
            cors_origins: settings.cors_origins.clone(),
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            body_limit: 64 * 1024,
            request_timeout: Duration::from_secs(30),
            swagger_ui: true,
            cors_origins: Vec::new(),
        }
    }
}

/// The whole application: API routes, health, metrics, and the middleware stack.
///
/// The middleware is one `ServiceBuilder` stack added with a single `Router::layer`:
/// axum wraps every route in each layer it is given, boxing the service and its future
/// once per layer and cloning every box on every request, so ten separate layers cost ten
/// boxes per request where one stack costs one. The stack runs top to bottom: the request
/// id is set first, so the per-request log line and every handler log carry it; panics
/// and timeouts become nevisIDM errors inside the log/metrics layer, so they are counted.
pub fn build_router(state: AppState, limits: Limits) -> Router {
    let x_request_id = HeaderName::from_static("x-request-id");
    let (routes, document) = crate::api::routes(limits.swagger_ui);
    let middleware = ServiceBuilder::new()
        .map_request(drop_unsafe_request_id as fn(Request) -> Request)
        .layer(SetRequestIdLayer::new(
            x_request_id.clone(),
            MakeRequestUuid,
        ))
        .layer(SetSensitiveRequestHeadersLayer::new([
            AUTHORIZATION,
            HeaderName::from_static("x-token"),
        ]))
        .layer(CompressionLayer::new())
        .layer(PropagateRequestIdLayer::new(x_request_id))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            observe::observe,
        ))
        .option_layer(cors(&limits.cors_origins))
        .layer(middleware::from_fn_with_state(
            limits.body_limit,
            refuse_declared_oversize,
        ))
        .layer(DefaultBodyLimit::max(limits.body_limit))
        .layer(middleware::from_fn_with_state(
            limits.request_timeout,
            timeout,
        ))
        .layer(CatchPanicLayer::custom(|_| {
            ApiError::Internal("a request handler panicked".into()).into_response()
        }))
        .layer(document);
    routes.layer(middleware).with_state(state)
}

/// The longest `x-request-id` taken from a client.
const REQUEST_ID_MAX: usize = 64;

/// Removes an `x-request-id` that is not 1 to 64 characters of `[A-Za-z0-9._-]`, so that
/// one is generated instead: the id is echoed in the response and written to every log
/// line of the request, where spaces, quotes or `key=value` text could forge fields.
fn drop_unsafe_request_id(mut request: Request) -> Request {
    let safe = |value: &HeaderValue| {
        let bytes = value.as_bytes();
        !bytes.is_empty()
            && bytes.len() <= REQUEST_ID_MAX
            && bytes
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    };
    let headers = request.headers_mut();
    if headers.get_all("x-request-id").iter().any(|v| !safe(v)) {
        headers.remove("x-request-id");
    }
    request
}

/// CORS for the configured origins, or none: without origins a preflight gets the same
/// answer as any unknown request, so browsers refuse cross-origin calls.
fn cors(origins: &[HeaderValue]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins.iter().cloned()))
            .allow_methods([Method::GET, Method::POST, Method::PATCH, Method::DELETE])
            .allow_headers([
                AUTHORIZATION,
                header::CONTENT_TYPE,
                header::IF_MATCH,
                HeaderName::from_static("x-token"),
                HeaderName::from_static("x-request-id"),
            ])
            .expose_headers([
                header::ETAG,
                header::LOCATION,
                HeaderName::from_static("x-request-id"),
            ])
            .max_age(Duration::from_secs(600)),
    )
}

/// Answers 413 at once, before anything reads the body, when the declared
/// `Content-Length` is above the body limit: otherwise a client declaring 10 MB and sending
/// a few bytes holds the request until the request timeout. The connection is closed, as
/// the rest of the body will not be read.
async fn refuse_declared_oversize(
    State(limit): State<usize>,
    request: Request,
    next: Next,
) -> Response {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|text| text.parse::<u64>().ok());
    match declared {
        Some(length) if length > limit as u64 => {
            let mut response = ApiError::PayloadTooLarge.into_response();
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            response
        }
        _ => next.run(request).await,
    }
}

/// Answers 503 instead of hanging when a request outlives its deadline.
async fn timeout(State(limit): State<Duration>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::Timeout.into_response(),
    }
}
