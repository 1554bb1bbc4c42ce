//! The write side of the shared credential flow: create, modify (PATCH, reset, lock
//! rules), delete — each with its history row, in one transaction.

use super::{CommonPatch, IfMatch, Outcome, Target, load, missing};
use crate::auth::{Access, Rule};
use crate::domain::credential::Credential;
use crate::domain::history::{self, Action, HistoryEntry};
use crate::domain::patch::{Change, ReadOnlyEcho};
use crate::domain::state::{self, Actor, CredentialState};
use crate::domain::view::{Audience, CredentialView};
use crate::domain::view_fields;
use crate::domain::{ExtId, time};
use crate::error::{ApiError, codes};
use crate::service::Ctx;
use crate::store::{CredentialKey, CredentialWrite, Step, StoreError};

/// The type-specific part of a change; see [`Modification::apply`].
pub type ApplyFn<'a> = Box<dyn FnMut(&mut Credential) -> Result<(), ApiError> + Send + 'a>;

/// A change to an existing credential: what to check and what to do.
pub struct Modification<'a> {
    pub action: Action,
    pub access: Access,
    pub common: CommonPatch,
    pub echo: ReadOnlyEcho,
    pub if_match: Option<IfMatch>,
    /// The type's own part of the change, applied after the common fields; it runs again
    /// when a concurrent writer forces a retry, so it must only depend on its input.
    pub apply: ApplyFn<'a>,
}

impl<'a> Modification<'a> {
    fn outcome(&self, credential: Credential) -> Outcome {
        Outcome {
            credential,
            access: self.access,
            secret: None,
        }
    }

    /// A reset: no body (so no common fields and nothing echoed), only `apply`.
    pub fn reset(access: Access, if_match: Option<IfMatch>, apply: ApplyFn<'a>) -> Self {
        Self {
            action: Action::Reset,
            access,
            common: CommonPatch::none(),
            echo: ReadOnlyEcho::default(),
            if_match,
            apply,
        }
    }
}

/// How often a delete is tried again on top of a concurrent change before giving up.
const MAX_ATTEMPTS: usize = 16;

pub(super) fn history_entry(
    ctx: Ctx<'_>,
    c: &Credential,
    action: Action,
    changes: Vec<history::FieldChange>,
) -> HistoryEntry {
    HistoryEntry {
        id: uuid::Uuid::new_v4().to_string(),
        credential_id: c.id.clone(),
        user_id: c.user_id.clone(),
        version: c.version,
        at: c.last_modified,
        actor: ctx.caller.sub.clone(),
        action,
        changes,
    }
}

/// The credential as an admin reads it: what history rows and read-only checks compare.
pub(super) fn admin_view(c: &Credential) -> CredentialView {
    CredentialView::new(c, Audience::Admin, None)
}

/// Stores a new credential with its history row. A second one of a one-per-user type
/// is `errors.<type>Exists`, a taken extId `errors.duplicateValue`.
pub async fn create(ctx: Ctx<'_>, client: &ExtId, credential: &Credential) -> Result<(), ApiError> {
    let changes = history::diff(&[], &admin_view(credential).fields());
    let entry = history_entry(ctx, credential, Action::Create, changes);
    match ctx.store.insert_credential(credential, &entry).await {
        Ok(()) => Ok(()),
        Err(StoreError::UniqueViolation(_)) => Err(duplicate(ctx, client, credential).await),
        Err(other) => Err(other.into()),
    }
}

/// Tells which unique rule a new credential broke, by looking at what is there now.
async fn duplicate(ctx: Ctx<'_>, client: &ExtId, c: &Credential) -> ApiError {
    let kind = c.kind();
    let user = c.user_ext_id.as_str();
    if let Some(code) = kind.exists_code() {
        let key = CredentialKey {
            client: client.as_str(),
            user,
            kind,
            ext_id: None,
        };
        if let Ok(Some(_)) = ctx.store.find_credential(key).await {
            return ApiError::Conflict(
                code,
                format!(
                    "User {user} already has a {} credential",
                    kind.display_name()
                ),
            );
        }
    }
    ApiError::Conflict(
        codes::DUPLICATE_VALUE,
        format!(
            "User {user} already has a credential with extId {}",
            c.ext_id
        ),
    )
}

fn check_if_match(common: &CommonPatch, if_match: Option<IfMatch>) -> Result<(), ApiError> {
    match (common.version, if_match) {
        (Some(body), Some(IfMatch::Version(header))) if body != header => Err(ApiError::invalid(
            format!("Body version {body} and If-Match version {header} disagree"),
        )),
        _ => Ok(()),
    }
}

/// `If-Match: "<n>"` must name the stored version (412 otherwise); `*` only needs the
/// credential to exist, which loading it has shown.
fn check_if_match_current(if_match: Option<IfMatch>, current: i32) -> Result<(), ApiError> {
    match if_match {
        Some(IfMatch::Version(version)) if version != current => {
            Err(ApiError::PreconditionFailed(format!(
                "If-Match version {version} is outdated: the credential is at version {current}"
            )))
        }
        _ => Ok(()),
    }
}

/// Applies a change to a credential with optimistic locking: the versioned write is the
/// check. Without a client-supplied version, a lost race re-reads and re-applies the
/// change (so no concurrent change is overwritten), that second time under the row lock
/// so that it cannot lose again; with a version, a lost race is 409 (body) or 412
/// (`If-Match`). A change that changes nothing writes nothing.
pub async fn modify(
    ctx: Ctx<'_>,
    target: &Target,
    mut m: Modification<'_>,
) -> Result<Outcome, ApiError> {
    check_if_match(&m.common, m.if_match)?;
    let actor = match m.access {
        Access::Admin => Actor::Admin,
        Access::SelfAdmin => Actor::SelfAdmin,
    };
    // The reads and writes of this change (see `store::Held`: on SQLite one connection).
    let mut held = ctx.store.hold().await?;
    let current = held.find_credential(target.key()).await?;
    let step = match plan(ctx, &mut m, actor, current)? {
        Step::Write(write) if held.update_credential(&write).await? => Step::Write(write),
        Step::Write(_lost) => {
            held.update_locked(target.key(), |current| plan(ctx, &mut m, actor, current))
                .await?
        }
        stop => stop,
    };
    drop(held);
    match step {
        Step::Write(write) => Ok(m.outcome(write.new)),
        Step::Stop(Unwritten::Unchanged(current)) => Ok(m.outcome(current)),
        Step::Stop(Unwritten::Missing) => Err(missing(ctx, target).await),
    }
}

/// Why [`plan`] writes nothing.
#[expect(
    clippy::large_enum_variant,
    reason = "one per PATCH, moved a few times: cheaper than an allocation"
)]
enum Unwritten {
    /// No credential of that key.
    Missing,
    /// The change changes nothing.
    Unchanged(Credential),
}

/// The write that applies `m` to `current` as it was read (or the error that refuses it).
fn plan(
    ctx: Ctx<'_>,
    m: &mut Modification<'_>,
    actor: Actor,
    current: Option<Credential>,
) -> Result<Step<Unwritten>, ApiError> {
    let Some(current) = current else {
        return Ok(Step::Stop(Unwritten::Missing));
    };
    let before_view = admin_view(&current);
    let before = before_view.fields();
    m.echo.check_with(|name| {
        view_fields::find(&before, name).map_or(serde_json::Value::Null, |v| v.to_json())
    })?;
    if current.state == CredentialState::Archived {
        return Err(ApiError::unprocessable(
            codes::MODIFY_READONLY,
            "The credential is archived and can no longer be modified",
        ));
    }
    if let Some(version) = m.common.version.filter(|v| *v != current.version) {
        return Err(ApiError::VersionConflict(format!(
            "Version {version} is outdated: the credential is at version {}",
            current.version
        )));
    }
    check_if_match_current(m.if_match, current.version)?;

    let mut next = current.clone();
    if let Some(change) = m
        .common
        .state
        .and_then(|to| state::transition(current.state, to, actor))
    {
        next.state = change.state;
        next.state_change_reason = Some(change.reason);
        next.state_change_detail = None;
        if change.reset_failed_count {
            next.logins.failure_count = 0;
        }
    }
    match &m.common.comment {
        Change::Keep => {}
        Change::Clear => next.modification_comment = None,
        Change::Set(text) => next.modification_comment = Some(text.clone()),
    }
    (m.apply)(&mut next)?;
    if actor == Actor::SelfAdmin && next.state != current.state {
        self_admin_may_leave(&current)?;
    }

    let changes = history::diff(&before, &admin_view(&next).fields());
    if changes.is_empty() {
        return Ok(Step::Stop(Unwritten::Unchanged(current)));
    }
    next.version = current.version + 1;
    next.last_modified = time::now();
    // Login statistics move without a version bump; write them only when this change
    // sets them, so a concurrent login result is never undone.
    let write_logins = next.logins != current.logins;
    let policy_id = |c: &Credential| c.policy.as_ref().map(|p| p.id.clone());
    let alone = next.ext_id != current.ext_id || policy_id(&next) != policy_id(&current);
    let history = history_entry(ctx, &next, m.action, changes);
    Ok(Step::Write(CredentialWrite {
        new: next,
        expected_version: current.version,
        history,
        write_logins,
        alone,
    }))
}

/// 403 unless a self-admin may move `current` out of its state ([`state::self_admin_may_leave`]).
fn self_admin_may_leave(current: &Credential) -> Result<(), ApiError> {
    if state::self_admin_may_leave(current.state, current.state_change_reason) {
        return Ok(());
    }
    Err(ApiError::PermissionDenied(format!(
        "The credential is {}: only an administrator can change its state or delete it",
        current.state.as_str()
    )))
}

/// Deletes a credential if `rule` allows it (checking `If-Match` when given), with a
/// `delete` history row.
pub async fn delete(
    ctx: Ctx<'_>,
    target: &Target,
    rule: Rule,
    if_match: Option<IfMatch>,
) -> Result<(), ApiError> {
    let access = ctx
        .authorize_user(target.client.as_str(), target.user.as_str(), rule)
        .await?;
    for _ in 0..MAX_ATTEMPTS {
        let current = load(ctx, target).await?;
        // Deleting is a way out of a state too (and a self-admin could create anew).
        if access == Access::SelfAdmin {
            self_admin_may_leave(&current)?;
        }
        check_if_match_current(if_match, current.version)?;
        let changes = history::diff(&admin_view(&current).fields(), &[]);
        let mut gone = current.clone();
        gone.last_modified = time::now();
        gone.version = current.version + 1;
        let entry = history_entry(ctx, &gone, Action::Delete, changes);
        if ctx
            .store
            .delete_credential(&current, current.version, &entry)
            .await?
        {
            return Ok(());
        }
    }
    Err(ApiError::VersionConflict(
        "The credential is being modified concurrently; retry the request".into(),
    ))
}
