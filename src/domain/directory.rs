//! Clients, users and policies: the records credentials hang off.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::policy::{Parameters, PolicyType};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Client {
    pub id: String,
    pub ext_id: String,
    pub name: String,
    pub version: i32,
    pub created: DateTime<Utc>,
    pub last_modified: DateTime<Utc>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserState {
    Active,
    Disabled,
    Archived,
}

impl UserState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Disabled => "disabled",
            Self::Archived => "archived",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Active, Self::Disabled, Self::Archived]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct User {
    pub id: String,
    pub client_id: String,
    pub client_ext_id: String,
    pub ext_id: String,
    pub login_id: String,
    pub state: UserState,
    /// `name`, `contacts`, `languageCode`, `isTechnicalUser`, as the client sent them
    /// (validated on the way in).
    pub profile: Map<String, Value>,
    pub version: i32,
    pub created: DateTime<Utc>,
    pub last_modified: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    pub id: String,
    pub client_id: String,
    pub client_ext_id: String,
    pub ext_id: String,
    pub name: String,
    pub description: Option<String>,
    pub policy_type: PolicyType,
    pub default_policy: bool,
    pub parameters: Parameters,
    pub version: i32,
    pub created: DateTime<Utc>,
    pub last_modified: DateTime<Utc>,
}
