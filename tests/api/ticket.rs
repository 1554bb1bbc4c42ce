//! Ticket credentials: seed 004 and the endpoints around it.

use idm_credentials::domain::ticket;
use serde_json::json;

use crate::support::{TestApp, user_path};

async fn with_ticket(app: &TestApp) -> (String, String) {
    app.client_with_user("acme", "jdoe").await;
    let path = user_path("acme", "jdoe", "ticket");
    let reply = app
        .post(
            &path,
            &app.root(),
            json!({"extId": "t-1", "identification": "letter-7"}),
        )
        .await
        .expect(201);
    (path, reply.body["ticketValue"].as_str().unwrap().to_owned())
}

both_stores! {
    /// Years outside 0001-9999 (in UTC) are refused with 422 and change nothing; a leap
    /// second comes back as the next second's start, alike on both stores.
    async fn validity_years_are_bounded_and_leap_seconds_normalised(app) {
        let (path, _) = with_ticket(&app).await;
        let root = app.root();
        for bad in [
            json!({"from": "0000-01-01T00:00:00Z"}),
            json!({"from": "0001-01-01T00:00:00+01:00"}),
            json!({"to": "9999-12-31T23:59:59-23:59"}),
            json!({"to": "9999-12-31T23:59:60Z"}),
            json!({"to": "+10000-01-01T23:58:59Z"}),
        ] {
            let reply = app.patch(&path, &root, json!({"validity": bad})).await.expect_error(422, "errors.invalidData");
            assert!(reply.body.to_string().contains("validity"), "{}", reply.body);
        }
        assert_eq!(app.get(&path, &root).await.body["version"], 1);
        let reply = app.patch(&path, &root, json!({"validity": {"from": "0001-01-01T00:00:00Z", "to": "2030-06-30T23:59:60Z"}})).await.expect(200);
        assert_eq!(reply.body["validity"], json!({"from": "0001-01-01T00:00:00Z", "to": "2030-07-01T00:00:00Z"}));
        assert_eq!(app.get(&path, &root).await.body["validity"], reply.body["validity"]);
        app.patch(&path, &root, json!({"validity": {"to": "9999-12-31T23:59:59Z"}})).await.expect(200);
        assert_eq!(app.get(&path, &root).await.body["validity"]["to"], "9999-12-31T23:59:59Z");
    }

    /// A policy lifetime that reaches past year 9999 ends there.
    async fn a_lifetime_past_year_9999_ends_there(app) {
        app.client_with_user("acme", "jdoe").await;
        app.add_policy("acme", "ages", "TicketPolicy", json!({"credentialLifetime": "300000000000000"})).await;
        let path = user_path("acme", "jdoe", "ticket");
        let reply = app.post(&path, &app.root(), json!({"policyExtId": "ages"})).await.expect(201);
        assert_eq!(reply.body["validity"]["to"], "9999-12-31T23:59:59Z");
        assert_eq!(app.get(&path, &app.root()).await.body["validity"]["to"], "9999-12-31T23:59:59Z");
    }

    /// The value is shown once, stored as a {SSHA256} digest that verifies it.
    async fn create_shows_the_value_once(app) {
        let (path, value) = with_ticket(&app).await;
        let root = app.root();
        let got = app.get(&path, &root).await.expect(200);
        let digest = got.body["ticket"].as_str().unwrap();
        assert!(digest.starts_with("{SSHA256}"));
        assert!(ticket::verify(&value, digest));
        assert!(!got.body.to_string().contains(&value));
        assert!(got.body.get("ticketValue").is_none());
        for field in ["created", "lastModified", "version", "extId", "userExtId", "policyExtId", "stateName",
            "stateChangeReason", "successfulLoginCount", "failedLoginCount", "type", "validity", "ticket",
            "failureCount", "successCount", "resetCount"] {
            assert!(got.body.get(field).is_some(), "missing {field} in {}", got.body);
        }
        assert_eq!(got.body["type"], "Ticket Authorization");
        assert_eq!(got.body["stateName"], "active");
        assert_eq!(got.body["stateChangeReason"], "activated");
        assert_eq!(got.body["identification"], "letter-7");
        assert_eq!(got.body["policyExtId"], "default-TicketPolicy");
        assert!(got.body["validity"]["to"].is_string(), "a ticket expires per its policy");
    }

    async fn second_ticket_is_409(app) {
        let (path, _) = with_ticket(&app).await;
        app.post(&path, &app.root(), json!({})).await.expect_error(409, "errors.ticketExists");
    }

    /// policyExtId must be a TicketPolicy of the client; null returns to the default.
    async fn policy_rules(app) {
        let (path, _) = with_ticket(&app).await;
        let root = app.root();
        app.add_policy("acme", "short-tickets", "TicketPolicy", json!({"credentialLifetime": "60000"})).await;
        let reply = app.patch(&path, &root, json!({"policyExtId": "short-tickets"})).await.expect(200);
        assert_eq!(reply.body["policyExtId"], "short-tickets");
        app.patch(&path, &root, json!({"policyExtId": "default-PwdPolicy"}))
            .await
            .expect_error(422, "errors.policyViolation");
        app.patch(&path, &root, json!({"policyExtId": "nope"}))
            .await
            .expect_error(422, "errors.missingReferenceData");
        let back = app.patch(&path, &root, json!({"policyExtId": null})).await.expect(200);
        assert_eq!(back.body["policyExtId"], "default-TicketPolicy");
        assert_eq!(back.body["version"], 3);
    }

    /// validity.from must not be after validity.to; to may be cleared.
    async fn validity_rules(app) {
        let (path, _) = with_ticket(&app).await;
        let root = app.root();
        let reply = app
            .patch(&path, &root, json!({"validity": {"from": "2030-01-01T00:00:00+01:00", "to": "2030-02-01T00:00:00Z"}}))
            .await
            .expect(200);
        assert_eq!(reply.body["validity"]["from"], "2029-12-31T23:00:00Z");
        assert_eq!(reply.body["validity"]["to"], "2030-02-01T00:00:00Z");
        app.patch(&path, &root, json!({"validity": {"to": "2029-01-01T00:00:00Z"}}))
            .await
            .expect_error(422, "errors.invalidData");
        app.patch(&path, &root, json!({"validity": {"from": "tomorrow"}}))
            .await
            .expect_error(422, "errors.invalidData");
        app.patch(&path, &root, json!({"validity": {"from": null}}))
            .await
            .expect_error(422, "errors.invalidData");
        let cleared = app.patch(&path, &root, json!({"validity": {"to": null}})).await.expect(200);
        assert!(cleared.body["validity"].get("to").is_none());
        assert_eq!(cleared.body["validity"]["from"], "2029-12-31T23:00:00Z");
    }

    async fn identification_set_and_clear(app) {
        let (path, _) = with_ticket(&app).await;
        let root = app.root();
        let set = app.patch(&path, &root, json!({"identification": "letter-8", "version": 1})).await.expect(200);
        assert_eq!(set.body["identification"], "letter-8");
        let cleared = app.patch(&path, &root, json!({"identification": null, "version": 2})).await.expect(200);
        assert!(cleared.body.get("identification").is_none());
        assert_eq!(cleared.body["version"], 3);
    }

    /// Reset: a new value, the old one is dead, resetCount + 1.
    async fn reset_regenerates(app) {
        let (path, old) = with_ticket(&app).await;
        let root = app.root();
        let reply = app.post(&format!("{path}/reset"), &root, json!({})).await.expect(200);
        let new = reply.body["ticketValue"].as_str().unwrap();
        assert_ne!(new, old);
        let digest = reply.body["ticket"].as_str().unwrap();
        assert!(ticket::verify(new, digest));
        assert!(!ticket::verify(&old, digest));
        assert_eq!(reply.body["resetCount"], 1);
        assert_eq!(reply.body["version"], 2);
        assert_eq!(app.history_len("acme", "jdoe", "t-1").await, 2);
    }

    async fn delete_ticket(app) {
        let (path, _) = with_ticket(&app).await;
        let root = app.root();
        app.delete(&path, &root).await.expect(204);
        app.get(&path, &root).await.expect_error(404, "errors.noRecord");
    }

    /// Self-admin may read their own ticket, without its internal attributes.
    async fn self_admin_reads_without_internals(app) {
        let (path, _) = with_ticket(&app).await;
        let me = app.token("jdoe", &["nevisIdm.SelfAdmin"], Some("acme"));
        let got = app.get(&path, &me).await.expect(200);
        assert!(got.body.get("ticket").is_none());
        assert_eq!(got.body["extId"], "t-1");
        app.patch(&path, &me, json!({"stateName": "disabled"})).await.expect_error(403, "errors.permissionDenied");
    }

    /// Every credential of a user in one list.
    async fn credentials_list(app) {
        let (_, _) = with_ticket(&app).await;
        let root = app.root();
        app.post(&user_path("acme", "jdoe", "password"), &root, json!({"password": "S3cure-Passw0rd"})).await.expect(201);
        let list = app.get(&user_path("acme", "jdoe", "credentials"), &root).await.expect(200);
        let types: Vec<_> = list.body["items"].as_array().unwrap().iter().map(|c| c["type"].as_str().unwrap()).collect();
        assert_eq!(types, ["Ticket Authorization", "Password"]);
    }
}
