//! The fault proxy, fault by fault, between a raw TCP client and a raw TCP
//! server. On tokio's paused clock: the proxy's delays cost no real time,
//! and every timing assertion is a lower bound (a byte cannot arrive before
//! the proxy let it go; when it arrives after is up to the machine).

use std::io::ErrorKind;
use std::time::Duration;

use baton_lab::proxy::{
    Connections, Direction, Directions, End, Fault, Party, Plan, Proxy, ProxyOptions, Rate, Trigger,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

const UP: Direction = Direction::ClientToServer;
const DOWN: Direction = Direction::ServerToClient;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A proxy with `plan` in front of a bare listener, a client connected
/// through it, and the server's side of that connection.
async fn through(plan: Plan) -> (Proxy, TcpStream, TcpStream, TcpListener) {
    let upstream = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy = Proxy::start(ProxyOptions::new(upstream.local_addr().unwrap()).plan(plan)).await.unwrap();
    let client = TcpStream::connect(proxy.addr()).await.unwrap();
    client.set_nodelay(true).unwrap();
    let (server, _) = upstream.accept().await.unwrap();
    server.set_nodelay(true).unwrap();
    (proxy, client, server, upstream)
}

/// Reads until end of stream or an error; the bytes and how it ended.
async fn read_to_end(s: &mut TcpStream) -> (Vec<u8>, Result<(), ErrorKind>) {
    let mut got = Vec::new();
    let mut buf = vec![0; 64 * 1024];
    loop {
        match s.read(&mut buf).await {
            Ok(0) => return (got, Ok(())),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) => return (got, Err(e.kind())),
        }
    }
}

/// Waits `d` of real time, with the paused clock held still meanwhile
/// (tokio does not move it while a blocking task runs), so the sockets get
/// real time to show anything they would.
async fn real_wait(d: Duration) {
    tokio::task::spawn_blocking(move || std::thread::sleep(d)).await.unwrap();
}

fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i % 251) as u8).collect()
}

#[tokio::test(start_paused = true)]
async fn latency_delays_every_byte_each_way() {
    let plan = Plan::new().delay(Directions::Both, ms(10), Duration::ZERO);
    let (proxy, mut client, mut server, _l) = through(plan).await;
    for round in 0..5u8 {
        let sent = Instant::now();
        client.write_all(&[round; 100]).await.unwrap();
        let mut buf = [0; 100];
        server.read_exact(&mut buf).await.unwrap();
        assert!(sent.elapsed() >= ms(10), "round {round}: client to server in {:?}", sent.elapsed());
        assert_eq!(buf, [round; 100]);
        server.write_all(&buf).await.unwrap();
        client.read_exact(&mut buf).await.unwrap();
        assert!(sent.elapsed() >= ms(20), "round {round}: a round trip in {:?}", sent.elapsed());
    }
    let c = proxy.connection(1).unwrap();
    assert_eq!((c.client_to_server.delivered, c.server_to_client.delivered), (500, 500));
    proxy.stop().await;
}

#[tokio::test(start_paused = true)]
async fn jitter_never_reorders_bytes() {
    let plan = Plan::new().delay(Direction::ClientToServer.into(), ms(10), ms(8));
    let (proxy, mut client, mut server, _l) = through(plan).await;
    let start = Instant::now();
    let writer = tokio::spawn(async move {
        // 400 small writes 1 ms apart, each its own chunk at the proxy.
        for i in 0..400u32 {
            client.write_all(&i.to_be_bytes()).await.unwrap();
            tokio::time::sleep(ms(1)).await;
        }
        client
    });
    let mut got = Vec::new();
    let mut buf = [0; 4];
    for i in 0..400u32 {
        server.read_exact(&mut buf).await.unwrap();
        // Sent no earlier than i ms after the start, delayed at least
        // latency - jitter.
        assert!(start.elapsed() >= ms(u64::from(i) + 2), "{i} came in {:?}", start.elapsed());
        got.push(u32::from_be_bytes(buf));
    }
    assert_eq!(got, (0..400).collect::<Vec<_>>(), "order kept");
    drop(writer.await.unwrap());
    proxy.stop().await;
}

#[tokio::test(start_paused = true)]
async fn rate_cap_holds_over_a_transfer() {
    let rate = Rate::bytes_per_second(100_000).unwrap();
    let (proxy, mut client, mut server, _l) = through(Plan::new().rate(DOWN.into(), rate)).await;
    let body = pattern(300_000);
    let start = Instant::now();
    let sending = body.clone();
    let writer = tokio::spawn(async move {
        server.write_all(&sending).await.unwrap();
        server.shutdown().await.unwrap();
        server
    });
    let (got, end) = read_to_end(&mut client).await;
    let elapsed = start.elapsed();
    assert_eq!(end, Ok(()));
    assert!(got == body, "every byte, in order");
    // 1,000-byte pieces, the first at once: at least 299 pieces' time.
    assert!(elapsed >= Duration::from_millis(2_990), "300 kB at 100 kB/s took {elapsed:?}");
    drop(writer.await.unwrap());
    // The other direction is not capped.
    let c = proxy.connection(1).unwrap();
    assert_eq!(c.server_to_client.delivered, 300_000);
    assert!(c.server_to_client.fin);
    proxy.stop().await;
}

#[tokio::test(start_paused = true)]
async fn reset_after_n_bytes_is_econnreset_after_exactly_n() {
    // Larger than the socket buffers, so the reset must wait for the bytes
    // before it to leave the proxy.
    const N: u64 = 700_000;
    let plan = Plan::new().on(Trigger::Bytes(DOWN, N), Directions::Both, Fault::Reset);
    let (proxy, mut client, mut server, _l) = through(plan).await;
    let body = pattern(2_000_000);
    let writer = tokio::spawn(async move {
        let wrote = server.write_all(&body).await;
        let mut rest = Vec::new();
        let read = server.read_to_end(&mut rest).await;
        (wrote.err().map(|e| e.kind()), read.err().map(|e| e.kind()))
    });
    let (got, end) = read_to_end(&mut client).await;
    assert_eq!(got.len() as u64, N);
    assert!(got == pattern(N as usize), "the first N bytes, in order");
    assert_eq!(end, Err(ErrorKind::ConnectionReset));
    // The server's side was reset too.
    let (write_err, read_err) = writer.await.unwrap();
    assert!(
        write_err.is_some() || read_err == Some(ErrorKind::ConnectionReset),
        "server saw {write_err:?} / {read_err:?}"
    );
    let c = proxy.ended(1).await;
    assert_eq!(c.end, Some(End::Reset(Party::Fault)));
    assert_eq!(c.server_to_client.read, N);
    assert_eq!(c.server_to_client.delivered, N);
    assert_eq!(proxy.stats().reset_by_fault, 1);
    proxy.stop().await;
}

#[tokio::test(start_paused = true)]
async fn fin_after_n_bytes_is_end_of_stream_and_a_half_close() {
    const N: u64 = 50_000;
    let plan = Plan::new().on(Trigger::Bytes(DOWN, N), DOWN.into(), Fault::Fin);
    let (proxy, mut client, mut server, _l) = through(plan).await;
    let body = pattern(200_000);
    let writer = tokio::spawn(async move {
        // The proxy stops reading after N: what the kernel buffers take,
        // and no more, is written.
        let _ = tokio::time::timeout(Duration::from_secs(5), server.write_all(&body)).await;
        server
    });
    let (got, end) = read_to_end(&mut client).await;
    assert_eq!(end, Ok(()), "a FIN, not a reset");
    assert_eq!(got.len() as u64, N);
    let mut server = writer.await.unwrap();
    // The other direction still works.
    client.write_all(b"still here").await.unwrap();
    let mut buf = [0; 10];
    server.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"still here");
    let c = proxy.connection(1).unwrap();
    assert_eq!((c.server_to_client.delivered, c.server_to_client.fin), (N, true));
    assert_eq!(c.end, None, "half closed, still open");
    // The client closes too: the connection ends closed.
    drop(client);
    let (_, end) = read_to_end(&mut server).await;
    assert_eq!(end, Ok(()));
    assert_eq!(proxy.ended(1).await.end, Some(End::Closed));
    proxy.stop().await;
}

#[tokio::test(start_paused = true)]
async fn blackhole_keeps_sockets_open_and_forwards_nothing() {
    // Exactly 4 bytes get through, then nothing either way.
    let plan = Plan::new().on(Trigger::Bytes(UP, 4), Directions::Both, Fault::Blackhole);
    let (proxy, mut client, mut server, _l) = through(plan).await;
    client.write_all(b"abcdefgh").await.unwrap();
    let mut buf = [0; 4];
    server.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"abcd");
    server.write_all(b"reply").await.unwrap();
    tokio::time::sleep(Duration::from_secs(30)).await;
    real_wait(ms(100)).await;
    // Nothing more arrived either way, and neither side saw an end.
    let mut probe = [0; 16];
    assert_eq!(server.try_read(&mut probe).map_err(|e| e.kind()), Err(ErrorKind::WouldBlock));
    assert_eq!(client.try_read(&mut probe).map_err(|e| e.kind()), Err(ErrorKind::WouldBlock));
    // Both can still write.
    client.write_all(b"ijkl").await.unwrap();
    server.write_all(b"!").await.unwrap();
    real_wait(ms(50)).await;
    let c = proxy.connection(1).unwrap();
    assert_eq!((c.client_to_server.read, c.client_to_server.delivered), (4, 4));
    assert_eq!((c.server_to_client.read, c.server_to_client.delivered), (0, 0));
    assert_eq!(c.end, None);
    // Lifting it delivers what was held, in order: the sockets were open.
    assert_eq!(proxy.apply(Connections::All, Directions::Both, Fault::Resume), 1);
    let mut buf = [0; 8];
    server.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"efghijkl");
    let mut buf = [0; 6];
    client.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"reply!");
    proxy.stop().await;
}

#[tokio::test(start_paused = true)]
async fn pause_then_delivers_everything_late() {
    let plan = Plan::new().on(Trigger::Bytes(UP, 3), UP.into(), Fault::Pause(Duration::from_secs(2)));
    let (proxy, mut client, mut server, _l) = through(plan).await;
    let start = Instant::now();
    client.write_all(b"abc").await.unwrap();
    client.write_all(b"defgh").await.unwrap();
    let mut buf = [0; 3];
    server.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"abc");
    let mut buf = [0; 5];
    server.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"defgh");
    assert!(start.elapsed() >= Duration::from_secs(2), "held for the pause: {:?}", start.elapsed());
    // A pause applied at run time holds what is sent during it.
    proxy.apply(Connections::All, DOWN.into(), Fault::Pause(Duration::from_secs(3)));
    let paused = Instant::now();
    server.write_all(b"late").await.unwrap();
    let mut buf = [0; 4];
    client.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"late");
    assert!(paused.elapsed() >= Duration::from_secs(3), "{:?}", paused.elapsed());
    proxy.stop().await;
}

#[tokio::test(start_paused = true)]
async fn the_third_connection_is_reset_after_10_kib() {
    let upstream = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy = Proxy::start(ProxyOptions::new(upstream.local_addr().unwrap())).await.unwrap();
    proxy.add_plan(
        Connections::Nth(3),
        Plan::new().on(Trigger::Bytes(DOWN, 10 * 1024), Directions::Both, Fault::Reset),
    );
    for n in 1..=4u64 {
        let mut client = TcpStream::connect(proxy.addr()).await.unwrap();
        let (mut server, _) = upstream.accept().await.unwrap();
        let served = tokio::spawn(async move {
            let _ = server.write_all(&pattern(20 * 1024)).await;
            let _ = server.shutdown().await;
            // Hold the socket until the client is done with it.
            let _ = read_to_end(&mut server).await;
        });
        let (got, end) = read_to_end(&mut client).await;
        if n == 3 {
            assert_eq!((got.len(), end), (10 * 1024, Err(ErrorKind::ConnectionReset)));
        } else {
            assert_eq!((got.len(), end), (20 * 1024, Ok(())), "connection {n}");
        }
        drop(client);
        served.await.unwrap();
        let c = proxy.ended(n).await;
        let want = if n == 3 { End::Reset(Party::Fault) } else { End::Closed };
        assert_eq!(c.end, Some(want), "connection {n}");
    }
    let stats = proxy.stats();
    assert_eq!((stats.accepted, stats.open, stats.closed, stats.reset_by_fault), (4, 0, 4, 1));
    assert_eq!(stats.bytes_to_client, 3 * 20 * 1024 + 10 * 1024);
    proxy.stop().await;
}

#[tokio::test(start_paused = true)]
async fn resets_and_fins_of_the_peers_are_passed_on() {
    let (proxy, mut client, mut server, _l) = through(Plan::new()).await;
    // A FIN from the client reaches the server, after the bytes before it.
    client.write_all(b"x").await.unwrap();
    client.shutdown().await.unwrap();
    assert_eq!(read_to_end(&mut server).await, (b"x".to_vec(), Ok(())));
    // A reset from the server reaches the client, after the bytes before it.
    server.write_all(b"y").await.unwrap();
    real_wait(ms(20)).await;
    socket2::SockRef::from(&server).set_linger(Some(Duration::ZERO)).unwrap();
    drop(server);
    assert_eq!(read_to_end(&mut client).await, (b"y".to_vec(), Err(ErrorKind::ConnectionReset)));
    let c = proxy.ended(1).await;
    assert_eq!(c.end, Some(End::Reset(Party::Server)));
    assert!(c.client_to_server.fin && !c.server_to_client.fin);
    proxy.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_reset_at_a_time_is_immediate() {
    let plan = Plan::new().delay(Directions::Both, Duration::from_secs(10), Duration::ZERO).on(
        Trigger::At(Duration::from_secs(1)),
        Directions::Both,
        Fault::Reset,
    );
    let (proxy, mut client, mut server, _l) = through(plan).await;
    // Held by the 10 s latency when the reset comes at 1 s: dropped.
    server.write_all(b"never").await.unwrap();
    let start = Instant::now();
    let (got, end) = read_to_end(&mut client).await;
    assert_eq!((got.len(), end), (0, Err(ErrorKind::ConnectionReset)));
    assert!(start.elapsed() >= Duration::from_secs(1));
    let c = proxy.ended(1).await;
    assert_eq!(
        (c.end, c.server_to_client.read, c.server_to_client.delivered),
        (Some(End::Reset(Party::Fault)), 5, 0)
    );
    proxy.stop().await;
}

#[tokio::test(start_paused = true)]
async fn an_unreachable_upstream_resets_the_client() {
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap();
    let proxy = Proxy::start(ProxyOptions::new(closed)).await.unwrap();
    let mut client = TcpStream::connect(proxy.addr()).await.unwrap();
    let (_, end) = read_to_end(&mut client).await;
    assert_eq!(end, Err(ErrorKind::ConnectionReset));
    assert_eq!(proxy.ended(1).await.end, Some(End::UpstreamUnreachable));
    assert_eq!(proxy.stats().upstream_unreachable, 1);
    proxy.stop().await;
}

/// A planner function gives each connection its own plan (as a soak
/// varies its faults): here every odd connection gets a FIN after its
/// ordinal in bytes.
#[tokio::test(start_paused = true)]
async fn a_planner_function_plans_each_connection() {
    let upstream = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy = Proxy::start(ProxyOptions::new(upstream.local_addr().unwrap())).await.unwrap();
    proxy.set_planner(|n| {
        if n % 2 == 1 {
            Plan::new().on(Trigger::Bytes(DOWN, n * 100), DOWN.into(), Fault::Fin)
        } else {
            Plan::new()
        }
    });
    for n in 1..=4u64 {
        let mut client = TcpStream::connect(proxy.addr()).await.unwrap();
        let (mut server, _) = upstream.accept().await.unwrap();
        server.write_all(&pattern(1000)).await.unwrap();
        server.shutdown().await.unwrap();
        let (got, end) = read_to_end(&mut client).await;
        assert_eq!(end, Ok(()));
        let want = if n % 2 == 1 { n as usize * 100 } else { 1000 };
        assert_eq!(got.len(), want, "connection {n}");
    }
    proxy.stop().await;
}
