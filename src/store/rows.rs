//! Row types: what the SQL returns, converted once into domain types here.

use chrono::{DateTime, Utc};

use super::StoreError;
use crate::domain::credential::{
    Attributes, Credential, CredentialType, LoginStats, PolicyRef, Validity,
};
use crate::domain::directory::{Client, Policy, User, UserState};
use crate::domain::history::{Action, FieldChange, HistoryEntry};
use crate::domain::policy::{Parameters, PolicyType};
use crate::domain::state::{CredentialState, StateChangeReason};

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("{what}: {value:?}"))
}

/// Version-like counters are BIGINT/INTEGER in the database and int32 on the wire.
fn int32(what: &str, value: i64) -> Result<i32, StoreError> {
    i32::try_from(value).map_err(|_| corrupt(what, &value.to_string()))
}

#[derive(sqlx::FromRow)]
pub struct CredentialRow {
    pub id: String,
    pub client_id: String,
    pub user_id: String,
    pub user_ext_id: String,
    pub ext_id: String,
    pub kind: String,
    pub policy_id: Option<String>,
    pub policy_ext_id: Option<String>,
    pub state: String,
    pub state_change_reason: Option<String>,
    pub state_change_detail: Option<String>,
    pub modification_comment: Option<String>,
    pub version: i64,
    pub created: DateTime<Utc>,
    pub last_modified: DateTime<Utc>,
    pub validity_from: Option<DateTime<Utc>>,
    pub validity_to: Option<DateTime<Utc>>,
    pub success_count: i64,
    pub failure_count: i64,
    pub last_success: Option<DateTime<Utc>>,
    pub last_failure: Option<DateTime<Utc>>,
    pub reset_count: i64,
    pub attributes: String,
    pub tmp_lock_end: Option<DateTime<Utc>>,
    pub last_otp: Option<i64>,
}

/// A credential as read: a temporary lock whose end time has passed is over
/// (`domain::lockout::settle`), so every read shows it usable again.
impl TryFrom<CredentialRow> for Credential {
    type Error = StoreError;

    fn try_from(row: CredentialRow) -> Result<Self, StoreError> {
        let mut credential = stored_credential(row)?;
        crate::domain::lockout::settle(&mut credential, chrono::Utc::now());
        Ok(credential)
    }
}

/// A credential exactly as stored, a temporary lock that has ended included (for the
/// lock engine, which records its end).
pub fn stored_credential(row: CredentialRow) -> Result<Credential, StoreError> {
    let kind =
        CredentialType::parse(&row.kind).ok_or_else(|| corrupt("credential type", &row.kind))?;
    let state = CredentialState::parse(&row.state)
        .ok_or_else(|| corrupt("credential state", &row.state))?;
    let state_change_reason = match row.state_change_reason.as_deref() {
        None => None,
        Some(text) => Some(
            StateChangeReason::parse(text).ok_or_else(|| corrupt("state change reason", text))?,
        ),
    };
    let policy = match (row.policy_id, row.policy_ext_id) {
        (Some(id), Some(ext_id)) => Some(PolicyRef { id, ext_id }),
        _ => None,
    };
    Ok(Credential {
        attributes: Attributes::from_json(kind, &row.attributes).map_err(StoreError::Corrupt)?,
        id: row.id,
        client_id: row.client_id,
        user_id: row.user_id,
        user_ext_id: row.user_ext_id,
        ext_id: row.ext_id,
        policy,
        state,
        state_change_reason,
        state_change_detail: row.state_change_detail,
        modification_comment: row.modification_comment,
        version: int32("credential version", row.version)?,
        created: row.created,
        last_modified: row.last_modified,
        validity: Validity {
            from: row.validity_from,
            to: row.validity_to,
        },
        logins: LoginStats {
            success_count: row.success_count,
            failure_count: row.failure_count,
            last_success: row.last_success,
            last_failure: row.last_failure,
            tmp_lock_end: row.tmp_lock_end,
            last_otp: row.last_otp,
        },
        reset_count: int32("reset count", row.reset_count)?,
    })
}

#[derive(sqlx::FromRow)]
pub struct ClientRow {
    pub id: String,
    pub ext_id: String,
    pub name: String,
    pub version: i64,
    pub created: DateTime<Utc>,
    pub last_modified: DateTime<Utc>,
}

impl TryFrom<ClientRow> for Client {
    type Error = StoreError;

    fn try_from(row: ClientRow) -> Result<Self, StoreError> {
        Ok(Client {
            version: int32("client version", row.version)?,
            id: row.id,
            ext_id: row.ext_id,
            name: row.name,
            created: row.created,
            last_modified: row.last_modified,
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct UserRow {
    pub id: String,
    pub client_id: String,
    pub client_ext_id: String,
    pub ext_id: String,
    pub login_id: String,
    pub state: String,
    pub profile: String,
    pub version: i64,
    pub created: DateTime<Utc>,
    pub last_modified: DateTime<Utc>,
}

impl TryFrom<UserRow> for User {
    type Error = StoreError;

    fn try_from(row: UserRow) -> Result<Self, StoreError> {
        let profile = match serde_json::from_str(&row.profile) {
            Ok(serde_json::Value::Object(map)) => map,
            _ => return Err(corrupt("user profile", &row.profile)),
        };
        Ok(User {
            state: UserState::parse(&row.state).ok_or_else(|| corrupt("user state", &row.state))?,
            version: int32("user version", row.version)?,
            profile,
            id: row.id,
            client_id: row.client_id,
            client_ext_id: row.client_ext_id,
            ext_id: row.ext_id,
            login_id: row.login_id,
            created: row.created,
            last_modified: row.last_modified,
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct PolicyRow {
    pub id: String,
    pub client_id: String,
    pub client_ext_id: String,
    pub ext_id: String,
    pub name: String,
    pub description: Option<String>,
    pub policy_type: String,
    pub default_policy: bool,
    pub parameters: String,
    pub version: i64,
    pub created: DateTime<Utc>,
    pub last_modified: DateTime<Utc>,
}

impl TryFrom<PolicyRow> for Policy {
    type Error = StoreError;

    fn try_from(row: PolicyRow) -> Result<Self, StoreError> {
        let parameters: Parameters = serde_json::from_str(&row.parameters)
            .map_err(|_| corrupt("policy parameters", &row.parameters))?;
        Ok(Policy {
            policy_type: PolicyType::parse(&row.policy_type)
                .ok_or_else(|| corrupt("policy type", &row.policy_type))?,
            version: int32("policy version", row.version)?,
            parameters,
            id: row.id,
            client_id: row.client_id,
            client_ext_id: row.client_ext_id,
            ext_id: row.ext_id,
            name: row.name,
            description: row.description,
            default_policy: row.default_policy,
            created: row.created,
            last_modified: row.last_modified,
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct HistoryRow {
    pub id: String,
    pub credential_id: String,
    pub user_id: String,
    pub version: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub changes: String,
}

impl TryFrom<HistoryRow> for HistoryEntry {
    type Error = StoreError;

    fn try_from(row: HistoryRow) -> Result<Self, StoreError> {
        let changes: Vec<FieldChange> = serde_json::from_str(&row.changes)
            .map_err(|_| corrupt("history changes", &row.changes))?;
        Ok(HistoryEntry {
            action: Action::parse(&row.action)
                .ok_or_else(|| corrupt("history action", &row.action))?,
            version: int32("history version", row.version)?,
            changes,
            id: row.id,
            credential_id: row.credential_id,
            user_id: row.user_id,
            at: row.at,
            actor: row.actor,
        })
    }
}

pub fn changes_json(changes: &[FieldChange]) -> String {
    serde_json::to_string(changes).unwrap_or_else(|_| "[]".into())
}
