//! The concurrent PATCH workload of issue 4, written once against [`Client`] so the
//! in-process suite (both stores, `tests/api/race.rs`) and the socket suite (server
//! processes on one PostgreSQL database, `tests/reliability`) run the very same checks.
//!
//! A credential's history must match its acknowledged PATCHes one to one: every 200 is
//! exactly one history row carrying that request's unique `modificationComment`, and the
//! final version is 1 + the number of rows after the create.

// Each suite uses a part of it.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use serde_json::{Value, json};

pub const BASE: &str = "/nevisidm/api/core/v1";
pub const CLIENT: &str = "load";

/// Sends one request as a Root administrator; answers (status, JSON body or `Null`).
pub trait Client {
    fn call(
        &self,
        method: &'static str,
        path: String,
        body: Option<Value>,
    ) -> impl Future<Output = (u16, Value)>;
}

/// One credential under load: its resource path and its history path.
#[derive(Clone, Debug)]
pub struct Target {
    pub path: String,
    pub history: String,
}

#[track_caller]
fn expect(reply: (u16, Value), status: u16, what: &str) -> Value {
    assert_eq!(reply.0, status, "{what}: {}", reply.1);
    reply.1
}

/// Client `load` with `users` users, each holding a password, a ticket and `mtans` mTANs:
/// `users * (2 + mtans)` credentials of three types.
pub async fn seed(c: &impl Client, users: usize, mtans: usize) -> Vec<Target> {
    let reply = c
        .call(
            "POST",
            format!("{BASE}/clients"),
            Some(json!({"extId": CLIENT, "name": "Load"})),
        )
        .await;
    expect(reply, 201, "create client");
    let mut targets = Vec::new();
    for u in 0..users {
        let user = format!("u{u}");
        let body = json!({"extId": user, "loginId": user});
        expect(
            c.call("POST", format!("{BASE}/{CLIENT}/users"), Some(body))
                .await,
            201,
            "create user",
        );
        let users = format!("{BASE}/{CLIENT}/users/{user}");
        let target = |kind: &str, ext_id: &str| Target {
            path: format!("{users}/{kind}"),
            history: format!("{users}/credentials/{ext_id}/history"),
        };
        let pw = format!("pw-{user}");
        let body = json!({"extId": pw, "password": format!("Load-Passw0rd-{u}")});
        expect(
            c.call("POST", format!("{users}/password"), Some(body))
                .await,
            201,
            "create password",
        );
        targets.push(target("password", &pw));
        let ticket = format!("t-{user}");
        let body = json!({"extId": ticket});
        expect(
            c.call("POST", format!("{users}/ticket"), Some(body)).await,
            201,
            "create ticket",
        );
        targets.push(target("ticket", &ticket));
        for m in 0..mtans {
            let mtan = format!("m{m}-{user}");
            let body = json!({"extId": mtan, "mobileNumber": "+41 79 123 45 67"});
            expect(
                c.call("POST", format!("{users}/mtans"), Some(body)).await,
                201,
                "create mTAN",
            );
            targets.push(target(&format!("mtans/{mtan}"), &mtan));
        }
    }
    targets
}

/// The current version of a credential.
pub async fn version(c: &impl Client, target: &Target) -> i64 {
    let body = expect(
        c.call("GET", target.path.clone(), None).await,
        200,
        "read credential",
    );
    body["version"].as_i64().unwrap_or(-1)
}

/// `writers` concurrent PATCHes of `target`, all carrying the version read first:
/// exactly one is 200, every other one 409, and exactly one version and one history row
/// are added.
pub async fn same_version_race(c: &impl Client, target: &Target, writers: usize) {
    let start = version(c, target).await;
    let rows = history(c, target).await.len();
    let replies = join_all((0..writers).map(|i| {
        let body = json!({"modificationComment": format!("racer {i}"), "version": start});
        c.call("PATCH", target.path.clone(), Some(body))
    }))
    .await;
    let ok = replies.iter().filter(|r| r.0 == 200).count();
    let conflicts = replies
        .iter()
        .filter(|r| r.0 == 409 && r.1["errors"][0]["code"] == "errors.optimisticLockingFailure")
        .count();
    let statuses: Vec<u16> = replies.iter().map(|r| r.0).collect();
    assert_eq!((ok, conflicts), (1, writers - 1), "{statuses:?}");
    assert_eq!(version(c, target).await, start + 1);
    assert_eq!(history(c, target).await.len(), rows + 1);
}

/// What the clients saw: per target, the comments of the PATCHes that got 200; a count
/// per status and per error code; the slowest answer.
#[derive(Debug, Default)]
pub struct Tally {
    pub acknowledged: Vec<Vec<String>>,
    pub statuses: BTreeMap<u16, usize>,
    pub errors: BTreeMap<String, usize>,
    pub slowest: Duration,
}

impl Tally {
    pub fn ok(&self) -> usize {
        self.statuses.get(&200).copied().unwrap_or(0)
    }

    pub fn requests(&self) -> usize {
        self.statuses.values().sum()
    }

    /// Adds a later run over the same targets.
    pub fn merge(&mut self, other: Tally) {
        for (mine, theirs) in self.acknowledged.iter_mut().zip(other.acknowledged) {
            mine.extend(theirs);
        }
        for (status, n) in other.statuses {
            *self.statuses.entry(status).or_default() += n;
        }
        for (code, n) in other.errors {
            *self.errors.entry(code).or_default() += n;
        }
        self.slowest = self.slowest.max(other.slowest);
    }
}

/// When a load run ends.
#[derive(Clone, Copy)]
pub enum Until<'a> {
    /// After this many requests.
    Count(usize),
    /// When the flag is set.
    Flag(&'a AtomicBool),
}

/// PATCHes without a version, each setting a comment no other request uses (`label k`),
/// spread evenly over `targets` by `clients` concurrent clients.
pub async fn hammer(
    c: &impl Client,
    targets: &[Target],
    clients: usize,
    label: &str,
    until: Until<'_>,
) -> Tally {
    let next = AtomicUsize::new(0);
    let tally = Mutex::new(Tally {
        acknowledged: vec![Vec::new(); targets.len()],
        ..Tally::default()
    });
    // A stride coprime with the number of targets visits them all, evenly, in an order
    // where neighbouring requests hit different credentials.
    let stride = (targets.len() / 2..)
        .find(|s| gcd(*s, targets.len()) == 1)
        .unwrap_or(1);
    let worker = || async {
        loop {
            let k = next.fetch_add(1, Ordering::Relaxed);
            let done = match until {
                Until::Count(total) => k >= total,
                Until::Flag(flag) => flag.load(Ordering::Relaxed),
            };
            if done {
                break;
            }
            let t = (k * stride) % targets.len();
            let comment = format!("{label} {k}");
            let started = Instant::now();
            let (status, body) = c
                .call(
                    "PATCH",
                    targets[t].path.clone(),
                    Some(json!({ "modificationComment": comment })),
                )
                .await;
            let elapsed = started.elapsed();
            let mut tally = tally.lock().unwrap();
            *tally.statuses.entry(status).or_default() += 1;
            tally.slowest = tally.slowest.max(elapsed);
            if status == 200 {
                assert_eq!(body["modificationComment"], comment.as_str(), "{body}");
                tally.acknowledged[t].push(comment);
            } else {
                let code = body["errors"][0]["code"].as_str().unwrap_or("<none>");
                *tally.errors.entry(format!("{status} {code}")).or_default() += 1;
            }
        }
    };
    join_all((0..clients).map(|_| worker())).await;
    tally.into_inner().unwrap()
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 { a } else { gcd(b, a % b) }
}

async fn history(c: &impl Client, target: &Target) -> Vec<Value> {
    let body = expect(
        c.call("GET", target.history.clone(), None).await,
        200,
        "read history",
    );
    body["items"].as_array().cloned().unwrap_or_default()
}

/// What the database holds after a load run.
#[derive(Debug, Default)]
pub struct Audit {
    /// PATCH history rows in the database.
    pub writes: usize,
    /// Acknowledged PATCHes (200) found in the database: all of them, or the audit fails.
    pub acknowledged: usize,
    /// Writes the database holds although their client got no 200 (the answer was lost
    /// in a fault after the commit). Zero when nothing failed.
    pub unacknowledged: usize,
}

/// Checks every target against what its clients saw: the history has one row per
/// version (1, 2, ... with the create first), the final version is 1 + its PATCH rows,
/// every acknowledged comment is in exactly one row, and no comment is in two rows.
pub async fn audit(c: &impl Client, targets: &[Target], tally: &Tally) -> Audit {
    let mut audit = Audit::default();
    for (target, acknowledged) in targets.iter().zip(&tally.acknowledged) {
        let items = history(c, target).await;
        let versions: Vec<i64> = items.iter().filter_map(|i| i["version"].as_i64()).collect();
        let expected: Vec<i64> = (1..=items.len() as i64).collect();
        assert_eq!(versions, expected, "{}: history versions", target.path);
        assert_eq!(items[0]["action"], "create", "{}", target.path);
        assert_eq!(
            version(c, target).await,
            items.len() as i64,
            "{}: final version = 1 + its PATCH rows",
            target.path
        );
        let mut written: HashMap<String, usize> = HashMap::new();
        for item in &items[1..] {
            assert_eq!(item["action"], "patch", "{}: {item}", target.path);
            let comment = item["changes"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|change| change["field"] == "modificationComment")
                .and_then(|change| change["new"].as_str())
                .unwrap_or_else(|| panic!("{}: a row without its comment: {item}", target.path));
            *written.entry(comment.to_owned()).or_default() += 1;
        }
        if let Some((comment, n)) = written.iter().find(|(_, n)| **n > 1) {
            panic!("{}: '{comment}' was written {n} times", target.path);
        }
        for comment in acknowledged {
            assert!(
                written.remove(comment).is_some(),
                "{}: acknowledged '{comment}' is not in the history",
                target.path
            );
        }
        audit.writes += items.len() - 1;
        audit.acknowledged += acknowledged.len();
        audit.unacknowledged += written.len();
    }
    audit
}
