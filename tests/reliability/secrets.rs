//! Part 6: a full run with debug logging in JSON; no log line and no response may hold
//! a secret, except the one-time fields the API documents (`ticketValue` on the create
//! or reset that made the value, the OATH `uri` on the create).

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use idm_credentials::auth::{Claims, Keys};
use serde_json::{Value, json};

use crate::support::{BASE, JWT_SECRET, PgTest, Reply, Server, root_token, send, token};

const OATH_KEY: [u8; 32] = [7; 32];

/// Everything the run said to its clients, with the one-time values it was allowed to show.
#[derive(Default)]
struct Transcript {
    replies: Vec<String>,
}

impl Transcript {
    /// Keeps a reply for the search, without the one-time fields that belong in it.
    fn keep(&mut self, reply: &Reply) -> Value {
        let mut text = reply.raw();
        for field in ["ticketValue", "passwordFragment"] {
            if let Some(value) = reply.body[field].as_str() {
                text = text.replace(&format!("\"{field}\":\"{value}\""), "");
            }
        }
        self.replies.push(text);
        reply.body.clone()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_response_or_log_line_holds_a_secret() {
    let Some(pg) = PgTest::start("secrets").await else {
        return;
    };
    let oath_key = STANDARD.encode(OATH_KEY);
    let mut server = Server::start(
        &pg.dir.0,
        "server",
        &[
            ("DATABASE_URL", &pg.url),
            ("IDM_LOG_FORMAT", "json"),
            ("RUST_LOG", "debug"),
            ("IDM_SECRET_KEY", &oath_key),
        ],
    );
    let addr = server.addr;

    // Tokens: valid ones from the binary, bad ones of every kind.
    let root = root_token();
    let self_admin = token(&["--sub", "jdoe", "--role", "SelfAdmin", "--client", "acme"]);
    let x_token = token(&["--sub", "jdoe", "--x-token", "--client", "acme"]);
    let claims = |exp| Claims {
        sub: "admin".into(),
        exp,
        roles: vec!["Root".into()],
        ..Claims::default()
    };
    let forged = Keys::new(b"some-other-secret-0123456789abcdef")
        .mint(&claims(4_000_000_000))
        .unwrap();
    let expired = Keys::new(JWT_SECRET.as_bytes())
        .mint(&claims(1_000_000))
        .unwrap();
    let unsigned = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#),
        root.split('.').nth(1).unwrap()
    );
    let truncated = root[..root.len() - 3].to_owned();

    let password = "Plain-Text-Passw0rd-4f1c9e";
    let other_passwords = [
        "Second-Passw0rd-Never-Stored-77a1",
        "Third-Passw0rd-Read-Only-93be",
        "Fourth-Passw0rd-Broken-Json-c2d0",
    ];
    let users = format!("{BASE}/acme/users");
    let pw = format!("{users}/jdoe/password");
    let ticket = format!("{users}/jdoe/ticket");
    let as_root = format!("Bearer {root}");
    let as_me = format!("Bearer {self_admin}");
    let bearer = |token: &str| format!("Bearer {token}");
    let body = |value: Value| Some(value.to_string());
    // (method, path, Authorization, X-Token, body, status, error code)
    type Step = (
        &'static str,
        String,
        String,
        Option<String>,
        Option<String>,
        u16,
        &'static str,
    );
    #[rustfmt::skip]
    let mut steps: Vec<Step> = vec![
        // The happy path: client, user, password, ticket, mTAN, PATCHes, reset, reads.
        ("POST", format!("{BASE}/clients"), as_root.clone(), None, body(json!({"extId": "acme", "name": "ACME"})), 201, ""),
        ("POST", users.clone(), as_root.clone(), None, body(json!({"extId": "jdoe", "loginId": "jdoe"})), 201, ""),
        ("POST", pw.clone(), as_root.clone(), None, body(json!({"extId": "pw-1", "password": password})), 201, ""),
        ("POST", ticket.clone(), as_root.clone(), None, body(json!({"extId": "t-1"})), 201, ""),
        ("POST", format!("{users}/jdoe/mtans"), as_root.clone(), None, body(json!({"extId": "m-1", "mobileNumber": "+41 79 123 45 67"})), 201, ""),
        ("PATCH", pw.clone(), as_root.clone(), None, body(json!({"stateName": "active", "modificationComment": "go"})), 200, ""),
        ("PATCH", ticket.clone(), as_root.clone(), None, body(json!({"identification": "order-4711"})), 200, ""),
        ("PATCH", format!("{users}/jdoe/mtans/m-1"), as_root.clone(), None, body(json!({"mobileNumber": "+41 78 765 43 21"})), 200, ""),
        ("POST", format!("{ticket}/reset"), as_root.clone(), None, body(json!({})), 200, ""),
        // Self-admin with an X-Token: reads its password, resets it; a forged X-Token fails.
        ("GET", pw.clone(), as_me.clone(), None, None, 200, ""),
        ("POST", format!("{pw}/reset"), as_me.clone(), Some(x_token.clone()), None, 204, ""),
        ("POST", format!("{pw}/reset"), as_me.clone(), Some(forged.clone()), None, 401, "errors.unauthenticated"),
        // Errors whose requests carry secrets.
        ("POST", pw.clone(), as_root.clone(), None, body(json!({"password": other_passwords[0]})), 409, "errors.passwordExists"),
        ("PATCH", pw.clone(), as_root.clone(), None, body(json!({"password": other_passwords[1]})), 422, "errors.modifyReadonlyData"),
        ("POST", format!("{users}/jane/password"), as_root.clone(), None, Some(format!(r#"{{"password": "{}"#, other_passwords[2])), 400, "errors.invalidData"),
    ];
    for path in [
        pw.clone(),
        ticket.clone(),
        format!("{users}/jdoe/credentials"),
        format!("{users}/jdoe/credentials/pw-1/history"),
        format!("{users}/jdoe/credentials/t-1/history"),
    ] {
        steps.push(("GET", path, as_root.clone(), None, None, 200, ""));
    }
    for bad in [&forged, &expired, &unsigned, &truncated] {
        steps.push((
            "GET",
            pw.clone(),
            bearer(bad),
            None,
            None,
            401,
            "errors.unauthenticated",
        ));
    }

    let mut seen = Transcript::default();
    let mut tickets = Vec::new();
    for (method, path, auth, x_token, body, status, code) in steps {
        let mut headers = vec![("Authorization", auth.as_str())];
        headers.extend(x_token.as_deref().map(|t| ("X-Token", t)));
        let reply = send(addr, method, &path, &headers, body.as_deref()).await;
        assert_eq!(reply.status, status, "{method} {path}: {}", reply.raw());
        if !code.is_empty() {
            assert_eq!(reply.code(), code, "{method} {path}: {}", reply.raw());
        }
        let value = seen.keep(&reply);
        tickets.extend(value["ticketValue"].as_str().map(str::to_owned));
    }
    assert_eq!(
        tickets.len(),
        2,
        "the ticket's create and reset show its value"
    );
    // The current ticket value sent back where it does not belong, next to the password.
    let stray = json!({"ticketValue": tickets[1], "colour": password}).to_string();
    let reply = send(
        addr,
        "PATCH",
        &ticket,
        &[("Authorization", &as_root)],
        Some(&stray),
    )
    .await;
    assert_eq!(reply.status, 422, "{}", reply.raw());
    seen.keep(&reply);

    // OATH: the create shows the otpauth uri (and its secret) once; reading, listing,
    // patching and the history must not show either again, nor may the logs.
    let oath = format!("{users}/jdoe/oath-credentials");
    let headers = [("Authorization", as_root.as_str())];
    let created = send(
        addr,
        "POST",
        &oath,
        &headers,
        body(json!({"extId": "otp-1", "label": "jdoe-phone"})).as_deref(),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.raw());
    let uri = created.body["uri"].as_str().unwrap_or_default().to_owned();
    let oath_secret = uri
        .split(['?', '&'])
        .find_map(|part| part.strip_prefix("secret="))
        .unwrap_or_default()
        .to_owned();
    assert!(oath_secret.len() >= 16, "the create shows the uri: {uri}");
    // Only the create may carry the uri: it is cut from this reply alone.
    seen.replies
        .push(created.raw().replace(&format!("\"uri\":\"{uri}\""), ""));
    let patched = send(
        addr,
        "PATCH",
        &format!("{oath}/otp-1"),
        &headers,
        body(json!({"label": "jdoe-tablet"})).as_deref(),
    )
    .await;
    assert_eq!(patched.status, 200, "{}", patched.raw());
    seen.keep(&patched);
    for path in [
        format!("{oath}/otp-1"),
        oath.clone(),
        format!("{users}/jdoe/credentials"),
        format!("{users}/jdoe/credentials/otp-1/history"),
    ] {
        let reply = send(addr, "GET", &path, &headers, None).await;
        assert_eq!(reply.status, 200, "{path}: {}", reply.raw());
        seen.keep(&reply);
    }

    server.terminate();
    assert!(server.wait(Duration::from_secs(15)).success());
    let logs = server.logs();
    let lines: Vec<&str> = logs.lines().filter(|l| !l.trim().is_empty()).collect();
    for line in &lines {
        assert!(
            serde_json::from_str::<Value>(line).is_ok(),
            "not a JSON log line: {line}"
        );
    }
    assert!(
        lines.iter().any(|l| l.contains("\"level\":\"DEBUG\"")),
        "debug logging was on"
    );
    assert!(
        lines.iter().any(|l| l.contains("/password/reset")),
        "the requests are in the log"
    );

    let mut secrets: Vec<(&str, String)> = vec![
        ("the password", password.to_owned()),
        ("the JWT secret", JWT_SECRET.to_owned()),
        ("the OATH key", oath_key.clone()),
        ("the database password", pg.db_password.clone()),
        ("the OATH secret", oath_secret.clone()),
        ("the OATH uri", uri.clone()),
    ];
    secrets.extend(
        other_passwords
            .iter()
            .map(|p| ("a rejected password", (*p).to_owned())),
    );
    secrets.extend(tickets.iter().map(|t| ("a ticket value", t.clone())));
    for (what, jwt) in [
        ("the Root JWT", &root),
        ("the self-admin JWT", &self_admin),
        ("the X-Token", &x_token),
        ("a forged JWT", &forged),
        ("an expired JWT", &expired),
        ("an unsigned JWT", &unsigned),
        ("a truncated JWT", &truncated),
    ] {
        secrets.push((what, jwt.clone()));
        // A token's payload may be logged in pieces: its signature must not be either.
        let signature = jwt.rsplit('.').next().unwrap_or_default();
        if signature.len() > 8 {
            secrets.push((what, signature.to_owned()));
        }
    }
    for (what, secret) in &secrets {
        for line in &lines {
            assert!(
                !line.contains(secret.as_str()),
                "{what} in a log line: {line}"
            );
        }
        for reply in &seen.replies {
            assert!(
                !reply.contains(secret.as_str()),
                "{what} in a response: {reply}"
            );
        }
    }
    eprintln!(
        "secrets: {} secrets searched in {} log lines and {} responses: none found",
        secrets.len(),
        lines.len(),
        seen.replies.len()
    );
}
