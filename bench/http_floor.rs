//! The HTTP floor of the benchmark (see `bench/run`): the least a server on this stack
//! can do for one bench PATCH. Same axum and tokio, the server's own store (its pool and
//! the very statements it sends), but no authentication, validation, views, history diff,
//! logs or metrics: read the credential, write the new comment with a history row, answer
//! a small JSON body.
//!
//! `bench/run` drives it exactly like the server, so server / floor is what the server's
//! own work per request costs, and floor / pgbench what putting HTTP in front of the
//! database costs on the machine.
//!
//! Settings: `DATABASE_URL` (PostgreSQL or SQLite, already migrated), `IDM_LISTEN`,
//! `IDM_DB_MAX_CONNECTIONS` (default 16, as the server's).

use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, patch};
use axum::{Json, Router};
use chrono::Utc;
use serde::Deserialize;
use serde_json::{Value, json};

use idm_credentials::domain::credential::CredentialType;
use idm_credentials::domain::history::{Action, FieldChange, HistoryEntry};
use idm_credentials::store::{CredentialKey, CredentialWrite, PoolSettings, Store};

type Failure = Box<dyn std::error::Error>;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Body {
    modification_comment: String,
}

async fn patch_comment(
    State(store): State<Store>,
    Path((client, user, kind)): Path<(String, String, String)>,
    Json(body): Json<Body>,
) -> Result<Json<Value>, StatusCode> {
    let kind = match kind.as_str() {
        "password" => CredentialType::Password,
        "ticket" => CredentialType::Ticket,
        _ => return Err(StatusCode::NOT_FOUND),
    };
    let failed = |_| StatusCode::INTERNAL_SERVER_ERROR;
    let mut held = store.hold().await.map_err(failed)?;
    // A concurrent PATCH of the same credential makes the versioned write miss: read
    // again and retry, as the server does.
    for _ in 0..16 {
        let key = CredentialKey {
            client: &client,
            user: &user,
            kind,
            ext_id: None,
        };
        let current = held
            .find_credential(key)
            .await
            .map_err(failed)?
            .ok_or(StatusCode::NOT_FOUND)?;
        let mut next = current.clone();
        next.modification_comment = Some(body.modification_comment.clone());
        next.version = current.version + 1;
        next.last_modified = Utc::now();
        let entry = HistoryEntry {
            id: uuid::Uuid::new_v4().to_string(),
            credential_id: next.id.clone(),
            user_id: next.user_id.clone(),
            version: next.version,
            at: next.last_modified,
            actor: "bench".into(),
            action: Action::Patch,
            changes: vec![FieldChange {
                field: "modificationComment".into(),
                old: json!(current.modification_comment),
                new: json!(body.modification_comment),
            }],
        };
        let write = CredentialWrite {
            new: next,
            expected_version: current.version,
            history: entry,
            write_logins: false,
            alone: false,
        };
        if held.update_credential(&write).await.map_err(failed)? {
            return Ok(Json(
                json!({ "extId": write.new.ext_id, "version": write.new.version }),
            ));
        }
    }
    Err(StatusCode::CONFLICT)
}

// The server's allocator (src/main.rs), so server / floor compares the work, not malloc.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let url = std::env::var("DATABASE_URL")?;
    let listen = std::env::var("IDM_LISTEN")?;
    let max_connections = match std::env::var("IDM_DB_MAX_CONNECTIONS") {
        Ok(text) => text.parse()?,
        Err(_) => 16,
    };
    let settings = PoolSettings {
        max_connections,
        acquire_timeout: Duration::from_secs(30),
        ..PoolSettings::default()
    };
    let store = Store::connect(&url, settings).await?;
    let app = Router::new()
        .route(
            "/nevisidm/api/core/v1/{client}/users/{user}/{kind}",
            patch(patch_comment),
        )
        .route("/health/ready", get(|| async { "ok" }))
        .with_state(store);
    let listener = tokio::net::TcpListener::bind(listen).await?;
    axum::serve(listener, app).await?;
    Ok(())
}
