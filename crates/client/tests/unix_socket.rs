//! Unix domain sockets as the transport: nginx (from apt; skipped with a
//! note when missing) listening on a socket in its prefix, reached with
//! HTTP/1.1 and with h2c, GET and POST, whatever the URL's host.
#![cfg(unix)]

use baton::Client;
use baton_lab::nginx::{Listener, Nginx, NginxOptions, Protocol};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http1_and_h2c_over_a_unix_socket() {
    if Nginx::find().is_none() {
        println!("skipped: nginx is not installed (apt-get install nginx)");
        return;
    }
    let options = NginxOptions {
        listeners: vec![Listener::new(Protocol::Http1), Listener::new(Protocol::H2c)],
        unix_sockets: true,
        ..NginxOptions::new(Protocol::Http1)
    }
    .keepalive_requests(10);
    let nginx = Nginx::start(&options).expect("nginx starts");
    for (protocol, version) in
        [(Protocol::Http1, http::Version::HTTP_11), (Protocol::H2c, http::Version::HTTP_2)]
    {
        let path = nginx.unix_socket(protocol).expect("nginx listens on its socket");
        let mut builder = Client::builder().unix_socket(&path);
        if protocol == Protocol::H2c {
            builder = builder.http2_prior_knowledge();
        }
        let client = builder.build().unwrap();
        // 25 of each: past keepalive_requests 10, so connections rotate.
        for i in 0..25 {
            let resp = client.get("http://daemon.local/bytes/100").send().await.unwrap();
            assert_eq!(resp.version(), version);
            assert_eq!(resp.bytes().await.unwrap().len(), 100, "{protocol:?} GET {i}");
            let resp =
                client.post("http://daemon.local/submit").body("over the socket").send().await.unwrap();
            assert_eq!(resp.text().await.unwrap(), "ok\n", "{protocol:?} POST {i}");
        }
        let stats = client.stats();
        assert!(stats.connections_opened >= 5, "{protocol:?}: {stats:?}");
    }
    // A socket that is not there: a connect error naming the path.
    let missing = std::env::temp_dir().join(format!("baton-no-such-{}.sock", std::process::id()));
    let client = Client::builder().unix_socket(&missing).retry(baton::RetryPolicy::never()).build().unwrap();
    let err = client.get("http://daemon.local/").send().await.unwrap_err();
    assert!(err.is_connect() && !err.is_proxy(), "{err}");
    assert!(err.to_string().contains(&missing.display().to_string()), "{err}");
}
