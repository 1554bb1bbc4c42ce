//! Clients, users and policies.

use serde_json::json;

use crate::support::BASE;

both_stores! {
    /// A client comes with one default policy per credential type.
    async fn client_lifecycle(app) {
        let root = app.root();
        let reply = app.post(&format!("{BASE}/clients"), &root, json!({"extId": "acme", "name": "ACME"})).await.expect(201);
        assert_eq!(reply.header("location"), Some(format!("{BASE}/clients/acme").as_str()));
        assert_eq!(reply.body["extId"], "acme");
        let policies = app.get(&format!("{BASE}/acme/policies"), &root).await.expect(200);
        let mut types: Vec<_> = policies.body["items"].as_array().unwrap().iter()
            .map(|p| { assert_eq!(p["defaultPolicy"], true); p["policyType"].as_str().unwrap().to_owned() })
            .collect();
        types.sort();
        assert_eq!(types, ["GenericCredentialPolicy", "MobileSignaturePolicy", "OathPolicy", "PwdPolicy", "TANPolicy", "TicketPolicy"]);
        app.post(&format!("{BASE}/clients"), &root, json!({"extId": "acme", "name": "Other"}))
            .await
            .expect_error(409, "errors.duplicateValue");
        app.post(&format!("{BASE}/clients"), &root, json!({"name": "ACME"}))
            .await
            .expect_error(409, "errors.duplicateValue");
        app.post(&format!("{BASE}/clients"), &root, json!({})).await.expect_error(422, "errors.invalidData");
        let generated = app.post(&format!("{BASE}/clients"), &root, json!({"name": "Generated"})).await.expect(201);
        assert_eq!(generated.body["extId"].as_str().unwrap().len(), 36, "a UUID when extId is missing");
        app.get(&format!("{BASE}/clients/acme"), &root).await.expect(200);
        app.delete(&format!("{BASE}/clients/acme"), &root).await.expect(204);
        app.get(&format!("{BASE}/clients/acme"), &root).await.expect_error(404, "errors.noRecord");
        let client_root = app.token("cr", &["ClientRoot"], Some("acme"));
        app.post(&format!("{BASE}/clients"), &client_root, json!({"name": "Mine"})).await.expect_error(403, "errors.permissionDenied");
    }

    /// A present but invalid required field gets its own problem only, not also "is required".
    async fn an_invalid_required_field_is_one_problem(app) {
        let root = app.root();
        let long = "x".repeat(300);
        let reply = app.post(&format!("{BASE}/clients"), &root, json!({"name": long})).await.expect_error(422, "errors.invalidData");
        let errors = reply.body["errors"].as_array().unwrap();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0]["message"].as_str().unwrap().contains("255"), "{errors:?}");
        app.client_with_user("acme", "jdoe").await;
        let reply = app.post(&format!("{BASE}/acme/users"), &root, json!({"extId": "ann", "loginId": ""})).await.expect_error(422, "errors.invalidData");
        let errors = reply.body["errors"].as_array().unwrap();
        assert_eq!(errors.len(), 1, "{errors:?}");
        let reply = app.post(&format!("{BASE}/acme/users"), &root, json!({"extId": "ann"})).await.expect_error(422, "errors.invalidData");
        assert!(reply.body["errors"][0]["message"].as_str().unwrap().contains("'loginId' is required"), "{}", reply.body);
    }

    async fn user_lifecycle(app) {
        app.client_with_user("acme", "jdoe").await;
        let root = app.root();
        let body = json!({"extId": "ann", "loginId": "ann", "name": {"firstName": "Ann", "familyName": "Lee"},
            "contacts": {"email": "ann@example.com", "mobile": "+41 79 123 45 67"}, "languageCode": "de"});
        let reply = app.post(&format!("{BASE}/acme/users"), &root, body).await.expect(201);
        assert_eq!(reply.body["userState"], "active");
        assert_eq!(reply.body["languageCode"], "DE");
        assert_eq!(reply.body["name"]["firstName"], "Ann");
        app.post(&format!("{BASE}/acme/users"), &root, json!({"extId": "ann2", "loginId": "ann"}))
            .await
            .expect_error(409, "errors.duplicateValue");
        app.post(&format!("{BASE}/acme/users"), &root, json!({"loginId": "x", "contacts": {"mobile": "0791234567"}}))
            .await
            .expect_error(422, "errors.invalidData");
        app.post(&format!("{BASE}/acme/users"), &root, json!({"loginId": "x", "userState": "sleeping"}))
            .await
            .expect_error(422, "errors.invalidData");
        app.post(&format!("{BASE}/nope/users"), &root, json!({"loginId": "x"})).await.expect_error(404, "errors.noRecord");
        let me = app.token("ann", &["SelfAdmin"], Some("acme"));
        app.get(&format!("{BASE}/acme/users/ann"), &me).await.expect(200);
        app.get(&format!("{BASE}/acme/users/jdoe"), &me).await.expect_error(403, "errors.permissionDenied");
        app.delete(&format!("{BASE}/acme/users/ann"), &root).await.expect(204);
        app.get(&format!("{BASE}/acme/users/ann"), &root).await.expect_error(404, "errors.noRecord");
    }

    async fn policy_lifecycle(app) {
        app.client_with_user("acme", "jdoe").await;
        let root = app.root();
        let path = format!("{BASE}/acme/policies/strict");
        app.post(&format!("{BASE}/acme/policies"), &root,
            json!({"extId": "strict", "name": "Strict", "policyType": "PwdPolicy", "parameters": {"minLength": 12}}))
            .await
            .expect(201);
        let got = app.get(&path, &root).await.expect(200);
        assert_eq!(got.body["parameters"]["minLength"], "12");
        let patched = app.patch(&path, &root, json!({"parameters": {"minLength": "10"}, "version": 1})).await.expect(200);
        assert_eq!(patched.body["version"], 2);
        app.patch(&path, &root, json!({"name": "x", "version": 1})).await.expect_error(409, "errors.optimisticLockingFailure");
        app.patch(&path, &root, json!({"parameters": {"minLength": "9", "maxLength": "8"}}))
            .await
            .expect_error(422, "errors.invalidConfig");
        app.post(&format!("{BASE}/acme/policies"), &root, json!({"name": "x", "policyType": "NoPolicy"}))
            .await
            .expect_error(422, "errors.invalidData");
        app.post(&format!("{BASE}/acme/users/jdoe/password"), &root, json!({"password": "long-enough-pw", "policyExtId": "strict"}))
            .await
            .expect(201);
        app.delete(&path, &root).await.expect_error(409, "errors.undeletedDependencies");
        app.delete(&format!("{BASE}/acme/users/jdoe/password"), &root).await.expect(204);
        app.delete(&path, &root).await.expect(204);
        app.get(&path, &root).await.expect_error(404, "errors.noRecord");
    }
}
