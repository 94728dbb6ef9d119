//! reqwest's conveniences against real servers: JSON, form and query
//! (through the lab's `/echo`), `error_for_status`, `headers_mut`, basic and
//! bearer auth, default headers and the user agent (nginx answers with what
//! it received; skipped with a note when nginx is not installed), and URLs
//! as `&str`, `String` and `http::Uri`.

use std::io;
use std::path::Path;
use std::sync::Arc;

use baton::Client;
use baton_lab::nginx::{Nginx, NginxOptions, Protocol, Site};
use baton_lab::{Lab, LabOptions, Scenario};
use http::{HeaderMap, HeaderValue, StatusCode};

/// nginx routes: `/seen` answers with the headers and query it received,
/// `/status/<n>` with that status.
#[derive(Debug)]
struct SeenSite;

impl Site for SeenSite {
    fn write_files(&self, _html: &Path) -> io::Result<()> {
        Ok(())
    }

    fn locations(&self, _prefix: &Path) -> String {
        "        location = /seen { default_type text/plain; \
         return 200 \"authorization=$http_authorization\\nuser-agent=$http_user_agent\\nx-tenant=$http_x_tenant\\nargs=$args\\n\"; }\n\
         \x20       location = /status/404 { return 404; }\n\
         \x20       location = /status/503 { return 503; }\n\
         \x20       location / { return 200 ok; }\n"
            .to_owned()
    }
}

fn nginx() -> Option<Nginx> {
    if Nginx::find().is_none() {
        eprintln!("nginx not installed: skipped");
        return None;
    }
    let options = NginxOptions { site: Arc::new(SeenSite), ..NginxOptions::new(Protocol::H2c) };
    Some(Nginx::start(&options).expect("nginx starts"))
}

/// What nginx's `/seen` reported, line by line.
async fn seen(request: baton::RequestBuilder) -> String {
    let resp = request.send().await.unwrap();
    assert_eq!(resp.status(), 200);
    resp.text().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_default_headers_and_user_agent_reach_the_server() {
    let Some(nginx) = nginx() else { return };
    let mut defaults = HeaderMap::new();
    defaults.insert("x-tenant", HeaderValue::from_static("acme"));
    defaults.insert("authorization", HeaderValue::from_static("Bearer default"));
    let client = Client::builder()
        .http2_prior_knowledge()
        .default_headers(defaults)
        .user_agent("inventory-sync/1.4")
        .build()
        .unwrap();
    let url = nginx.url("/seen");
    // The defaults, as they are.
    let text = seen(client.get(&url)).await;
    assert!(text.contains("authorization=Bearer default\n"), "{text}");
    assert!(text.contains("user-agent=inventory-sync/1.4\n"), "{text}");
    assert!(text.contains("x-tenant=acme\n"), "{text}");
    // A request's own header replaces the default of that name.
    let text =
        seen(client.get(&url).basic_auth("aladdin", Some("opensesame")).header("x-tenant", "umbrella")).await;
    assert!(text.contains("authorization=Basic YWxhZGRpbjpvcGVuc2VzYW1l\n"), "{text}");
    assert!(text.contains("x-tenant=umbrella\n"), "{text}");
    assert!(!text.contains("acme"), "{text}");
    let text = seen(client.get(&url).basic_auth("token-only", None::<&str>)).await;
    // base64("token-only:")
    assert!(text.contains("authorization=Basic dG9rZW4tb25seTo=\n"), "{text}");
    let text = seen(client.get(&url).bearer_auth("t0k3n").header("user-agent", "mine/2")).await;
    assert!(text.contains("authorization=Bearer t0k3n\n"), "{text}");
    assert!(text.contains("user-agent=mine/2\n"), "{text}");
    // Without a user agent set, none is sent.
    let bare = Client::builder().http2_prior_knowledge().build().unwrap();
    let text = seen(bare.get(&url)).await;
    assert!(text.contains("user-agent=\n"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_for_status_makes_4xx_and_5xx_errors() {
    let Some(nginx) = nginx() else { return };
    let client = Client::builder().http2_prior_knowledge().build().unwrap();
    let mut ok = client.get(nginx.url("/")).send().await.unwrap().error_for_status().unwrap();
    // `headers_mut`: the map can be changed, or taken whole.
    ok.headers_mut().insert("x-seen", HeaderValue::from_static("yes"));
    assert_eq!(ok.headers()["x-seen"], "yes");
    let taken = std::mem::take(ok.headers_mut());
    assert!(taken.contains_key("x-seen") && taken.contains_key(http::header::SERVER), "{taken:?}");
    assert!(ok.headers().is_empty());
    assert_eq!(ok.text().await.unwrap(), "ok");
    for (path, status) in
        [("/status/404", StatusCode::NOT_FOUND), ("/status/503", StatusCode::SERVICE_UNAVAILABLE)]
    {
        let resp = client.get(nginx.url(path)).send().await.unwrap();
        let err = resp.error_for_status_ref().unwrap_err();
        assert!(err.is_status(), "{err:?}");
        assert_eq!(err.status(), Some(status));
        assert!(err.to_string().contains(path), "{err}");
        // The response is still there to read.
        assert_eq!(resp.status(), status);
        let err = resp.error_for_status().unwrap_err();
        assert!(err.is_status() && !err.is_connect() && !err.is_builder(), "{err:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn urls_of_every_kind_and_bad_ones_as_builder_errors() {
    let lab = Lab::start(LabOptions::new(Scenario::Normal)).await.unwrap();
    let client = Client::builder().http2_prior_knowledge().build().unwrap();
    let owned = lab.url("/bytes/3");
    let uri: http::Uri = owned.parse().unwrap();
    for request in [
        client.get(owned.as_str()),
        client.get(&owned),
        client.get(owned.clone()),
        client.get(&uri),
        client.get(uri.clone()),
    ] {
        let resp = request.send().await.unwrap();
        // Cleartext: no TLS version in the journal.
        assert_eq!(resp.attempts()[0].tls_version, None);
        assert_eq!(resp.bytes().await.unwrap().len(), 3);
    }
    for bad in ["http://exa mple.com/", "mailto:someone@example.com", "/just/a/path"] {
        let err = client.get(bad).send().await.unwrap_err();
        assert!(err.is_builder(), "{bad}: {err:?}");
        assert!(err.attempts().is_empty());
    }
    let err = client.get(http::Uri::from_static("/relative")).send().await.unwrap_err();
    assert!(err.is_builder(), "{err:?}");
    assert_eq!(client.stats().requests, 5);
    lab.stop().await;
}

#[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
struct Order {
    item: u64,
    note: String,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_form_and_query_round_trip_through_the_lab() {
    let lab = Lab::start(LabOptions::new(Scenario::Normal)).await.unwrap();
    let client = Client::builder().http2_prior_knowledge().build().unwrap();
    let order = Order { item: 7, note: "two & a half ✓".to_owned() };
    let back: Order = client.post(lab.url("/echo")).json(&order).send().await.unwrap().json().await.unwrap();
    assert_eq!(back, order);
    // A body that is not the JSON expected: a decode error, the response
    // having started.
    let err = client.get(lab.url("/bytes/10")).send().await.unwrap().json::<Order>().await.unwrap_err();
    assert!(err.is_decode(), "{err:?}");
    assert_eq!(err.processing(), Some(baton::Processing::ResponseStarted));

    let form =
        client.post(lab.url("/echo")).form(&[("user", "ada"), ("lang", "en gb")]).send().await.unwrap();
    assert_eq!(form.text().await.unwrap(), "user=ada&lang=en+gb");
    // A map with a non-string key cannot be JSON: a builder error, nothing sent.
    let bad: std::collections::HashMap<(u8, u8), u8> = [((1, 2), 3)].into();
    let err = client.post(lab.url("/echo")).json(&bad).send().await.unwrap_err();
    assert!(err.is_builder(), "{err:?}");

    let request =
        client.get(lab.url("/echo?a=1")).query(&[("q", "x y")]).query(&[("page", 2)]).build().unwrap();
    assert_eq!(request.uri().query(), Some("a=1&q=x+y&page=2"));
    let resp = client.execute(request).await.unwrap();
    assert_eq!(resp.url().query(), Some("a=1&q=x+y&page=2"));
    lab.stop().await;
}
