//! The one pagination of every credential list (a user's mTANs, OATH credentials, and
//! all their credentials): nevisIDM's `limit` and `continuationToken`, `_pagination`,
//! the same defaults and the same errors.

use serde_json::{Value, json};

use crate::support::{TestApp, user_path};

/// The three lists, as path suffixes under the user.
const LISTS: [&str; 3] = ["mtans", "oath-credentials", "credentials"];

/// jdoe with seven credentials: three mTANs, two OATH, a ticket and a mobile signature.
async fn with_credentials(app: &TestApp) {
    app.client_with_user("acme", "jdoe").await;
    let root = app.root();
    for i in 0..3 {
        let body = json!({"extId": format!("m-{i}"), "mobileNumber": "+41791234567"});
        app.post(&user_path("acme", "jdoe", "mtans"), &root, body)
            .await
            .expect(201);
    }
    for i in 0..2 {
        let body = json!({"extId": format!("o-{i}"), "label": "jdoe"});
        app.post(&user_path("acme", "jdoe", "oath-credentials"), &root, body)
            .await
            .expect(201);
    }
    app.post(
        &user_path("acme", "jdoe", "ticket"),
        &root,
        json!({"extId": "t-1"}),
    )
    .await
    .expect(201);
    let signature = json!({"extId": "ms-1", "identificator": "jdoe-sig",
        "msspIdentifier": "http://mssp.example.com", "msisdn": "+41791234567"});
    app.post(
        &user_path("acme", "jdoe", "mobile-signature"),
        &root,
        signature,
    )
    .await
    .expect(201);
}

fn ext_ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["extId"].as_str().unwrap().to_owned())
        .collect()
}

/// Every page of `list` at `limit` items, following the tokens; each page checked.
async fn walk(app: &TestApp, list: &str, token: &str, limit: usize) -> Vec<Vec<String>> {
    let mut pages = Vec::new();
    let mut url = format!("{list}?limit={limit}");
    loop {
        let page = app.get(&url, token).await.expect(200).body;
        assert_eq!(page["_pagination"]["limit"], limit);
        let items = ext_ids(&page);
        assert!(!items.is_empty() && items.len() <= limit, "{page}");
        pages.push(items);
        let Some(next) = page["_pagination"]["continuationToken"].as_str() else {
            break;
        };
        assert!(
            next.ends_with(&format!("_{}", pages.last().unwrap().last().unwrap())),
            "{next}"
        );
        url = format!("{list}?limit={limit}&continuationToken={next}");
        assert!(pages.len() <= 10, "pagination does not end");
    }
    pages
}

both_stores! {
    /// get-credentials documents `limit` and `continuationToken`: pages of 2 over seven
    /// credentials of four types chain like the typed lists, in the unpaged order.
    async fn all_credentials_page_like_the_typed_lists(app) {
        with_credentials(&app).await;
        let root = app.root();
        let list = user_path("acme", "jdoe", "credentials");
        let pages = walk(&app, &list, &root, 2).await;
        assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [2, 2, 2, 1]);
        let whole = app.get(&list, &root).await.expect(200).body;
        assert_eq!(pages.concat(), ext_ids(&whole), "no duplicates, no gaps, the same order");
        assert_eq!(ext_ids(&whole).len(), 7);
    }

    /// A self-admin's pages leave out the types their GET refuses them (mobile signature)
    /// without short or empty pages.
    async fn self_admin_pages_hold_only_what_they_may_read(app) {
        with_credentials(&app).await;
        let me = app.token("jdoe", &["nevisIdm.SelfAdmin"], Some("acme"));
        let list = user_path("acme", "jdoe", "credentials");
        let pages = walk(&app, &list, &me, 2).await;
        assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [2, 2, 2]);
        assert!(!pages.concat().contains(&"ms-1".to_owned()), "{pages:?}");
    }

    /// nevisIDM's pages give `limit` the default 0: absent or 0 is the longest page
    /// (1000, reported in `_pagination`), on every list.
    async fn absent_or_zero_limit_is_the_longest_page(app) {
        with_credentials(&app).await;
        let root = app.root();
        for (suffix, count) in LISTS.into_iter().zip([3, 2, 7]) {
            let list = user_path("acme", "jdoe", suffix);
            for url in [list.clone(), format!("{list}?limit=0")] {
                let page = app.get(&url, &root).await.expect(200).body;
                assert_eq!(page["_pagination"], json!({"limit": 1000}), "{url}");
                assert_eq!(ext_ids(&page).len(), count, "{url}");
            }
        }
    }

    /// A limit outside 0-1000 or not an integer, or a token not of the form the lists
    /// issue, is 400 errors.invalidData naming the parameter, on every list.
    async fn bad_queries_are_the_same_400_on_every_list(app) {
        with_credentials(&app).await;
        let root = app.root();
        for suffix in LISTS {
            let list = user_path("acme", "jdoe", suffix);
            for (query, names) in [("limit=abc", "limit"), ("limit=-1", "limit"), ("limit=1001", "limit"),
                ("continuationToken=garbage", "continuationToken"), ("continuationToken=12_", "continuationToken")] {
                let reply = app.get(&format!("{list}?{query}"), &root).await.expect_error(400, "errors.invalidData");
                let message = reply.body["errors"][0]["message"].as_str().unwrap();
                assert!(message.contains(names), "{suffix}?{query}: {message}");
            }
            let page = app.get(&format!("{list}?limit=1000"), &root).await.expect(200).body;
            assert_eq!(page["_pagination"]["limit"], 1000);
        }
    }
}
