//! The lock engine under concurrency, for the OATH and ticket logins (the password
//! login's own are in `password_login`): N parallel failures count N, the lock falls at
//! exactly the threshold with exactly one "now locked" answer, the right secret never
//! gets past the lock, and a one-time code sent N times at once logs in once.

use futures_util::future::join_all;
use serde_json::{Value, json};

use crate::oath_login::with_oath;
use crate::support::{Reply, TestApp, user_path};
use crate::ticket_login::{LOGIN as TICKET_LOGIN, with_ticket};

#[derive(Clone, Copy, Debug)]
enum Verb {
    Oath,
    Ticket,
}

/// A credential of jdoe in acme to log in to, on a policy with `parameters`.
struct Subject {
    login: String,
    view: String,
    field: &'static str,
    right: String,
    wrong: String,
}

async fn subject(app: &TestApp, verb: Verb, parameters: Value) -> Subject {
    match verb {
        Verb::Oath => {
            let oath = with_oath(app, parameters).await;
            let step = oath.step();
            Subject {
                right: oath.code(step),
                wrong: oath.wrong(step),
                login: oath.login,
                view: oath.view,
                field: "code",
            }
        }
        Verb::Ticket => Subject {
            right: with_ticket(app, parameters).await,
            wrong: "wrong".into(),
            login: TICKET_LOGIN.into(),
            view: user_path("acme", "jdoe", "ticket"),
            field: "ticket",
        },
    }
}

impl Subject {
    /// `n` logins with `secret` at once.
    async fn parallel(&self, app: &TestApp, n: usize, secret: &str) -> Vec<Reply> {
        let root = app.root();
        let body = json!({ self.field: secret });
        join_all((0..n).map(|_| app.post(&self.login, &root, body.clone()))).await
    }

    async fn view(&self, app: &TestApp) -> Value {
        app.get(&self.view, &app.root()).await.expect(200).body
    }
}

/// (HTTP status, statusCode) of each reply.
fn outcomes(replies: &[Reply]) -> Vec<(u16, Value)> {
    replies
        .iter()
        .map(|r| (r.status.as_u16(), r.body["statusCode"].clone()))
        .collect()
}

fn count(outcomes: &[(u16, Value)], status: u16, code: Value) -> usize {
    outcomes
        .iter()
        .filter(|o| **o == (status, code.clone()))
        .count()
}

async fn failures_are_all_counted(app: TestApp, verb: Verb) {
    let s = subject(
        &app,
        verb,
        json!({"tmpLockingThreshold": -1, "maxCredFailureCount": -1}),
    )
    .await;
    let replies = s.parallel(&app, 8, &s.wrong).await;
    let got = outcomes(&replies);
    assert_eq!(count(&got, 200, json!(2)), 8, "{verb:?}: {got:?}");
    let after = s.view(&app).await;
    assert_eq!(
        (
            after["failedLoginCount"].as_i64(),
            after["version"].as_i64()
        ),
        (Some(8), Some(1)),
        "{verb:?}"
    );
}

async fn lock_falls_at_exactly_the_threshold(app: TestApp, verb: Verb) {
    let s = subject(
        &app,
        verb,
        json!({"tmpLockingThreshold": -1, "maxCredFailureCount": 5}),
    )
    .await;
    let got = outcomes(&s.parallel(&app, 10, &s.wrong).await);
    assert_eq!(count(&got, 200, json!(4)), 1, "{verb:?}: {got:?}");
    assert_eq!(
        count(&got, 200, json!(2)) + count(&got, 200, json!(3)),
        4,
        "{verb:?}: {got:?}"
    );
    assert_eq!(count(&got, 423, Value::Null), 5, "{verb:?}: {got:?}");
    let after = s.view(&app).await;
    assert_eq!(
        (
            after["stateName"].as_str(),
            after["failedLoginCount"].as_i64(),
            after["version"].as_i64()
        ),
        (Some("fail-locked"), Some(5), Some(2)),
        "{verb:?}"
    );
    let ext_id = after["extId"].as_str().unwrap().to_owned();
    assert_eq!(
        app.history_len("acme", "jdoe", &ext_id).await,
        2,
        "{verb:?}: create, lock"
    );

    let right = s.parallel(&app, 4, &s.right).await;
    assert!(right.iter().all(|r| r.status == 423), "{verb:?}: {right:?}");
    assert_eq!(s.view(&app).await["successfulLoginCount"], 0, "{verb:?}");
}

both_stores! {
    /// 8 parallel failed OATH logins count 8 failures.
    async fn oath_failures_are_all_counted(app) {
        failures_are_all_counted(app, Verb::Oath).await;
    }

    /// 8 parallel failed ticket logins count 8 failures.
    async fn ticket_failures_are_all_counted(app) {
        failures_are_all_counted(app, Verb::Ticket).await;
    }

    /// 10 parallel failed OATH logins against a threshold of 5: one "now locked", 5
    /// refused; then the right code, in parallel, never gets in.
    async fn oath_lock_falls_at_exactly_the_threshold(app) {
        lock_falls_at_exactly_the_threshold(app, Verb::Oath).await;
    }

    /// The same for the ticket login.
    async fn ticket_lock_falls_at_exactly_the_threshold(app) {
        lock_falls_at_exactly_the_threshold(app, Verb::Ticket).await;
    }

    /// 12 parallel right tickets count 12 successes: the counts written without the row
    /// lock (version and counts as read) lose none when they race.
    async fn parallel_successes_are_all_counted(app) {
        let s = subject(&app, Verb::Ticket, json!({"tmpLockingThreshold": -1, "maxCredFailureCount": -1})).await;
        let got = outcomes(&s.parallel(&app, 12, &s.right).await);
        assert_eq!(count(&got, 200, json!(5)), 12, "{got:?}");
        let after = s.view(&app).await;
        assert_eq!((after["successfulLoginCount"].as_i64(), after["version"].as_i64()), (Some(12), Some(1)));
    }

    /// One TOTP code sent 8 times at once logs in exactly once: the replay check and the
    /// record of the accepted step are one transaction.
    async fn one_code_sent_in_parallel_logs_in_once(app) {
        let s = subject(&app, Verb::Oath, json!({"tmpLockingThreshold": -1, "maxCredFailureCount": -1})).await;
        let got = outcomes(&s.parallel(&app, 8, &s.right).await);
        assert_eq!(count(&got, 200, json!(5)), 1, "{got:?}");
        assert_eq!(count(&got, 200, json!(2)), 7, "{got:?}");
        let after = s.view(&app).await;
        assert_eq!((after["successfulLoginCount"].as_i64(), after["failedLoginCount"].as_i64()), (Some(1), Some(7)));
    }
}
