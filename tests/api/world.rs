//! A populated database and the table of every operation the server serves, shared by the
//! hostile-input and authorization suites; plus a fingerprint of everything stored, so a
//! test can prove that a rejected request changed nothing.

use axum::http::Method;
use idm_credentials::store::Store;
use serde_json::{Value, json};

use crate::support::{BASE, TestApp, user_path};

/// Who may call an operation besides a caller holding `permissions` in the client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SelfMode {
    /// Only admins (with the permissions).
    Denied,
    /// A SelfAdmin user on its own path.
    Allowed,
    /// A SelfAdmin user on its own path that also sends an X-Token for itself.
    WithXToken,
}

/// What an operation needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    /// No token at all (health, metrics, the API document).
    Public,
    /// The Root role (clients are created and deleted across clients).
    Root,
    /// These `AccessControl.*` permissions in the path's client.
    Permissions(&'static [&'static str], SelfMode),
    /// The SelfAdmin role, acting on the caller's own user (the principal API's `token`
    /// and `me`: no user in the path).
    SelfAdminRole,
    /// Any valid token (the principal API's `permissions`).
    AnyToken,
}

/// One operation: method, path template as the API document writes it, what it needs,
/// and a body that is valid for it on the [`World`].
pub struct Op {
    pub method: Method,
    pub template: &'static str,
    pub need: Need,
    pub body: Option<fn() -> Value>,
}

impl Op {
    /// The template with the [`World`]'s ids filled in.
    pub fn path(&self) -> String {
        self.path_with(&|_, real| real.to_owned())
    }

    /// The template with each parameter replaced by `value(name, real_value)`.
    pub fn path_with(&self, value: &dyn Fn(&str, &str) -> String) -> String {
        let mut path = self.template.to_owned();
        for (name, real) in self.params() {
            path = path.replace(&format!("{{{name}}}"), &value(name, real));
        }
        path
    }

    /// The path parameters of the template and the [`World`]'s value for each.
    pub fn params(&self) -> Vec<(&'static str, &'static str)> {
        let mut params = Vec::new();
        if self.template.contains("{clientExtId}") {
            params.push(("clientExtId", "acme"));
        }
        if self.template.contains("{userExtId}") {
            params.push(("userExtId", "jdoe"));
        }
        if self.template.contains("{policyExtId}") {
            params.push(("policyExtId", "p-1"));
        }
        if self.template.contains("{extId}") {
            let ext = if self.template.contains("/mtans/") {
                "m-1"
            } else if self.template.contains("/oath-credentials/") {
                "o-1"
            } else if self.template.contains("/generic-credentials/") {
                "g-1"
            } else {
                "pw-1"
            };
            params.push(("extId", ext));
        }
        params
    }

    pub fn takes_body(&self) -> bool {
        self.body.is_some()
    }

    /// The principal API's token request: a form is one of its documented bodies.
    pub fn takes_form(&self) -> bool {
        self.template.ends_with("/principal/v1/token")
    }

    pub fn name(&self) -> String {
        format!("{} {}", self.method, self.template)
    }
}

const CV: &str = "AccessControl.CredentialView";
const CC: &str = "AccessControl.CredentialCreate";
const CM: &str = "AccessControl.CredentialModify";
const CD: &str = "AccessControl.CredentialDelete";
const CS: &str = "AccessControl.CredentialChangeState";
const PCV: &str = "AccessControl.PolicyConfigurationView";
const PV: &str = "AccessControl.PropertyView";
const PVV: &str = "AccessControl.PropertyValueView";
const PAV: &str = "AccessControl.PropertyAllowedValueView";
const PVC: &str = "AccessControl.PropertyValueCreate";
const PVM: &str = "AccessControl.PropertyValueModify";
const PVD: &str = "AccessControl.PropertyValueDelete";

fn empty() -> Value {
    json!({})
}

macro_rules! op {
    ($method:ident $template:literal, $need:expr) => {
        Op {
            method: Method::$method,
            template: concat!("/nevisidm/api/core/v1", $template),
            need: $need,
            body: None,
        }
    };
    ($method:ident $template:literal, $need:expr, $body:expr) => {
        Op {
            method: Method::$method,
            template: concat!("/nevisidm/api/core/v1", $template),
            need: $need,
            body: Some($body),
        }
    };
}

const fn perms(p: &'static [&'static str]) -> Need {
    Need::Permissions(p, SelfMode::Denied)
}

const fn or_self(p: &'static [&'static str], mode: SelfMode) -> Need {
    Need::Permissions(p, mode)
}

/// Every operation the server serves, destructive ones last (the authorization suite
/// runs its successful calls in this order). Pinned against `openapi/idm-credentials.json`
/// by `authz::the_table_is_the_api_document`, so a new route cannot be left out.
pub fn operations() -> Vec<Op> {
    use SelfMode::{Allowed, WithXToken};
    vec![
        Op {
            method: Method::GET,
            template: "/health/live",
            need: Need::Public,
            body: None,
        },
        Op {
            method: Method::GET,
            template: "/health/ready",
            need: Need::Public,
            body: None,
        },
        Op {
            method: Method::GET,
            template: "/openapi.json",
            need: Need::Public,
            body: None,
        },
        Op {
            method: Method::GET,
            template: "/metrics",
            need: Need::Public,
            body: None,
        },
        op!(POST "/clients", Need::Root, || json!({"extId": "newco", "name": "New Co"})),
        op!(GET "/clients/{clientExtId}", perms(&["AccessControl.ClientView"])),
        op!(POST "/{clientExtId}/users", perms(&["AccessControl.UserCreate"]), || json!({"loginId": "newbie"})),
        op!(GET "/{clientExtId}/users/{userExtId}", or_self(&["AccessControl.UserView"], Allowed)),
        op!(POST "/{clientExtId}/policies", perms(&["AccessControl.PolicyCreate"]),
            || json!({"name": "another", "policyType": "TicketPolicy", "parameters": {}})),
        op!(GET "/{clientExtId}/policies", perms(&["AccessControl.PolicyView"])),
        op!(GET "/{clientExtId}/policies/{policyExtId}", perms(&["AccessControl.PolicyView"])),
        op!(PATCH "/{clientExtId}/policies/{policyExtId}",
            perms(&["AccessControl.PolicyView", "AccessControl.PolicyModify"]), || json!({"name": "renamed"})),
        op!(GET "/{clientExtId}/users/{userExtId}/credentials", or_self(&[CV], Allowed)),
        op!(GET "/{clientExtId}/users/{userExtId}/credentials/{extId}/history", perms(&[CV])),
        op!(POST "/{clientExtId}/users/{userExtId}/password", perms(&[CC, CS]),
            || json!({"password": "An0ther-Passw0rd"})),
        op!(GET "/{clientExtId}/users/{userExtId}/password", or_self(&[CV], Allowed)),
        op!(PATCH "/{clientExtId}/users/{userExtId}/password", perms(&[CV, CM]),
            || json!({"modificationComment": "patched"})),
        // Before the reset, which puts the password back to `initial`.
        Op {
            method: Method::POST,
            template: "/nevisidm/api/auth/v1/{clientExtId}/users/{userExtId}/password/login",
            need: perms(&[CV, CM, CS]),
            body: Some(|| json!({"password": "S3cure-Passw0rd"})),
        },
        Op {
            method: Method::POST,
            template: "/nevisidm/api/principal/v1/token",
            need: Need::SelfAdminRole,
            body: Some(
                || json!({"username": "jdoe", "password": "S3cure-Passw0rd", "grant_type": "password"}),
            ),
        },
        Op {
            method: Method::GET,
            template: "/nevisidm/api/principal/v1/me",
            need: Need::SelfAdminRole,
            body: None,
        },
        Op {
            method: Method::GET,
            template: "/nevisidm/api/principal/v1/permissions",
            need: Need::AnyToken,
            body: None,
        },
        // Extensions: a wrong code or value is a processed attempt (200, later 423).
        Op {
            method: Method::POST,
            template: "/nevisidm/api/auth/v1/{clientExtId}/users/{userExtId}/oath-credentials/{extId}/login",
            need: perms(&[CV, CM, CS]),
            body: Some(|| json!({"code": "000000"})),
        },
        Op {
            method: Method::POST,
            template: "/nevisidm/api/auth/v1/{clientExtId}/users/{userExtId}/ticket/login",
            need: perms(&[CV, CM, CS]),
            body: Some(|| json!({"ticket": "wrong"})),
        },
        // The same password again, so the logins above stay right for later callers.
        op!(POST "/{clientExtId}/users/{userExtId}/password/change", or_self(&[CM], WithXToken),
            || json!({"oldPassword": "S3cure-Passw0rd", "newPassword": "S3cure-Passw0rd"})),
        op!(POST "/{clientExtId}/users/{userExtId}/password/reset", or_self(&[CV, CM], WithXToken)),
        op!(POST "/{clientExtId}/users/{userExtId}/ticket", perms(&[CC]), empty),
        op!(GET "/{clientExtId}/users/{userExtId}/ticket", or_self(&[CV], Allowed)),
        op!(PATCH "/{clientExtId}/users/{userExtId}/ticket", perms(&[CM, CV]),
            || json!({"modificationComment": "patched"})),
        op!(POST "/{clientExtId}/users/{userExtId}/ticket/reset", perms(&[CM, CV])),
        op!(POST "/{clientExtId}/users/{userExtId}/mtans", perms(&[CC]), || json!({"mobileNumber": "+41791234568"})),
        op!(GET "/{clientExtId}/users/{userExtId}/mtans", or_self(&[CV], Allowed)),
        op!(GET "/{clientExtId}/users/{userExtId}/mtans/{extId}", or_self(&[CV], Allowed)),
        op!(PATCH "/{clientExtId}/users/{userExtId}/mtans/{extId}", perms(&[CM, CV]),
            || json!({"modificationComment": "patched"})),
        op!(POST "/{clientExtId}/users/{userExtId}/mtans/{extId}", perms(&[CM, CV]), || json!({"success": true})),
        op!(POST "/{clientExtId}/users/{userExtId}/oath-credentials", or_self(&[CC, CV, PCV], WithXToken),
            || json!({"label": "another"})),
        op!(GET "/{clientExtId}/users/{userExtId}/oath-credentials", or_self(&[CV], Allowed)),
        op!(GET "/{clientExtId}/users/{userExtId}/oath-credentials/{extId}", or_self(&[CV], Allowed)),
        op!(PATCH "/{clientExtId}/users/{userExtId}/oath-credentials/{extId}", or_self(&[CM, CV], WithXToken),
            || json!({"modificationComment": "patched"})),
        op!(POST "/{clientExtId}/users/{userExtId}/generic-credentials",
            or_self(&[CC, CV, CM, PV, PVV, PAV, PVC, PVD, PVM], WithXToken), || json!({"identification": "another"})),
        op!(GET "/{clientExtId}/users/{userExtId}/generic-credentials", or_self(&[CV], Allowed)),
        op!(GET "/{clientExtId}/users/{userExtId}/generic-credentials/{extId}", or_self(&[CV], Allowed)),
        op!(PATCH "/{clientExtId}/users/{userExtId}/generic-credentials/{extId}", or_self(&[CM, CV], WithXToken),
            || json!({"modificationComment": "patched"})),
        op!(GET "/{clientExtId}/users/{userExtId}/generic-credentials/{extId}/properties", or_self(&[CV, PV, PVV, PAV], Allowed)),
        op!(PATCH "/{clientExtId}/users/{userExtId}/generic-credentials/{extId}/properties",
            or_self(&[CV, CM, PV, PVV, PAV, PVC, PVD, PVM], WithXToken), || json!({"team": "ops"})),
        op!(POST "/{clientExtId}/users/{userExtId}/mobile-signature", perms(&[CC]), mobile_signature),
        op!(GET "/{clientExtId}/users/{userExtId}/mobile-signature", perms(&[CV])),
        op!(PATCH "/{clientExtId}/users/{userExtId}/mobile-signature", perms(&[CM]),
            || json!({"modificationComment": "patched"})),
        op!(DELETE "/{clientExtId}/users/{userExtId}/mobile-signature", perms(&[CD])),
        op!(DELETE "/{clientExtId}/users/{userExtId}/oath-credentials/{extId}", or_self(&[CD], WithXToken)),
        op!(DELETE "/{clientExtId}/users/{userExtId}/generic-credentials/{extId}", or_self(&[CD], WithXToken)),
        op!(DELETE "/{clientExtId}/users/{userExtId}/mtans/{extId}", or_self(&[CD], WithXToken)),
        op!(DELETE "/{clientExtId}/users/{userExtId}/ticket", perms(&[CD])),
        op!(DELETE "/{clientExtId}/users/{userExtId}/password", or_self(&[CD], WithXToken)),
        op!(DELETE "/{clientExtId}/policies/{policyExtId}", perms(&["AccessControl.PolicyDelete"])),
        op!(DELETE "/{clientExtId}/users/{userExtId}", perms(&["AccessControl.UserDelete"])),
        op!(DELETE "/clients/{clientExtId}", Need::Root),
    ]
}

fn mobile_signature() -> Value {
    json!({"identificator": "id-2", "msspIdentifier": "http://www.swisscom.ch", "msisdn": "+41791234567"})
}

/// The data every operation of [`operations`] finds: client `acme` with users `jdoe`
/// (one credential of each type: password `pw-1`, ticket, mTAN `m-1`, OATH `o-1`,
/// mobile signature, generic `g-1`) and `mary` (none), policy `p-1`; client `globex` with user `bob`.
pub async fn populate(app: &TestApp) {
    let root = app.root();
    app.client_with_user("acme", "jdoe").await;
    app.add_user("acme", "mary").await;
    app.client_with_user("globex", "bob").await;
    app.add_policy("acme", "p-1", "TicketPolicy", json!({}))
        .await;
    let creates = [
        (
            "password",
            json!({"extId": "pw-1", "password": "S3cure-Passw0rd", "stateName": "active"}),
        ),
        ("ticket", json!({"extId": "t-1"})),
        (
            "mtans",
            json!({"extId": "m-1", "mobileNumber": "+41791234567"}),
        ),
        (
            "oath-credentials",
            json!({"extId": "o-1", "label": "jdoe@acme"}),
        ),
        (
            "mobile-signature",
            json!({"extId": "ms-1", "identificator": "id-1",
            "msspIdentifier": "http://www.swisscom.ch", "msisdn": "+41791234567"}),
        ),
        (
            "generic-credentials",
            json!({"extId": "g-1", "identification": "ext-1", "properties": {"realm": "ACME"}}),
        ),
    ];
    for (rest, body) in creates {
        app.post(&user_path("acme", "jdoe", rest), &root, body)
            .await
            .expect(201);
    }
}

/// Everything the [`World`] holds, as the API shows it to Root, plus row counts and the
/// sum of credential versions read from the database itself.
pub async fn fingerprint(app: &TestApp) -> Value {
    let root = app.root();
    let mut views = serde_json::Map::new();
    let mut paths = vec![
        format!("{BASE}/clients/acme"),
        format!("{BASE}/clients/globex"),
        format!("{BASE}/clients/newco"),
        format!("{BASE}/acme/policies"),
    ];
    for (client, user) in [("acme", "jdoe"), ("acme", "mary"), ("globex", "bob")] {
        paths.push(format!("{BASE}/{client}/users/{user}"));
        paths.push(user_path(client, user, "credentials"));
    }
    for rest in [
        "password",
        "ticket",
        "mtans/m-1",
        "oath-credentials/o-1",
        "mobile-signature",
        "generic-credentials/g-1",
        "generic-credentials/g-1/properties",
    ] {
        paths.push(user_path("acme", "jdoe", rest));
    }
    for ext in ["pw-1", "t-1", "m-1", "o-1", "ms-1", "g-1"] {
        paths.push(user_path(
            "acme",
            "jdoe",
            &format!("credentials/{ext}/history"),
        ));
    }
    for path in paths {
        let reply = app.get(&path, &root).await;
        views.insert(
            path,
            json!({"status": reply.status.as_u16(), "body": reply.body}),
        );
    }
    let mut counts = serde_json::Map::new();
    for (name, sql) in [
        ("clients", "SELECT COUNT(*) FROM clients"),
        ("users", "SELECT COUNT(*) FROM users"),
        ("policies", "SELECT COUNT(*) FROM policies"),
        ("credentials", "SELECT COUNT(*) FROM credentials"),
        ("history", "SELECT COUNT(*) FROM credential_history"),
        (
            "versions",
            "SELECT CAST(COALESCE(SUM(version), 0) AS BIGINT) FROM credentials",
        ),
    ] {
        let count: i64 = match &app.store {
            Store::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool.sqlx()).await,
            Store::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool.sqlx()).await,
        }
        .expect("count query runs");
        counts.insert(name.into(), json!(count));
    }
    json!({"views": views, "counts": counts})
}

/// Asserts that nothing stored differs from `before`, naming what was sent.
#[track_caller]
pub fn assert_unchanged(before: &Value, after: &Value, what: &str) {
    if before != after {
        let (Some(b), Some(a)) = (before.as_object(), after.as_object()) else {
            panic!("state changed by {what}");
        };
        for key in ["views", "counts"] {
            for (k, v) in b[key].as_object().into_iter().flatten() {
                assert_eq!(Some(v), a[key].get(k), "{k} changed by {what}");
            }
        }
        panic!("state changed by {what}");
    }
}

pub const ERROR_TABLE: &[(u16, &str)] = &[
    (400, "errors.invalidData"),
    (401, "errors.unauthenticated"),
    (403, "errors.permissionDenied"),
    (404, "errors.noRecord"),
    (405, "errors.invalidData"),
    (409, "errors.optimisticLockingFailure"),
    (409, "errors.ticketExists"),
    (409, "errors.mobileSignatureExists"),
    (409, "errors.passwordExists"),
    (409, "errors.duplicateValue"),
    (412, "errors.optimisticLockingFailure"),
    (413, "errors.invalidData"),
    (415, "errors.invalidData"),
    (422, "errors.invalidData"),
    (422, "errors.mtanFormatE164Violated"),
    (422, "errors.missingReferenceData"),
    (422, "errors.policyViolation"),
    (422, "errors.pwdPolicyViolated"),
    (422, "errors.modifyReadonlyData"),
];

/// Whether (status, code) is a row of decisions.md's error table.
pub fn in_error_table(status: u16, code: &str) -> bool {
    ERROR_TABLE.contains(&(status, code))
}
