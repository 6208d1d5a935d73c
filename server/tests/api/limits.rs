//! Request limits, tested black-box against the `opsquad` binary over raw TCP: a body past its
//! route's limit is 413 in the shared error shape (declared or streamed), a body or headers that
//! trickle in are cut off, oversized headers are refused.

use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::binary::Binary;

/// Reads until the server closes the connection or `wait` passes; what arrived, and whether it closed.
async fn read_all(stream: &mut TcpStream, wait: Duration) -> (String, bool) {
    let mut seen = Vec::new();
    let mut buf = [0_u8; 8192];
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Ok(Ok(0) | Err(_)) => return (String::from_utf8_lossy(&seen).into_owned(), true),
            Ok(Ok(n)) => seen.extend_from_slice(&buf[..n]),
            Err(_) => return (String::from_utf8_lossy(&seen).into_owned(), false),
        }
    }
}

fn status_of(response: &str) -> u16 {
    response.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("no status line: {response:?}"))
}

fn error_of(response: &str) -> Value {
    let body = response.split("\r\n\r\n").nth(1).unwrap_or_default();
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {response:?}"))
}

#[tokio::test]
async fn a_body_past_its_limit_is_413_on_every_route() {
    let server = Binary::start(&[]);

    // Declared: refused before a byte of it is read.
    for (path, length) in [("/api/auth/login", 65 * 1024), ("/api/v1/inbound", 257 * 1024), ("/anything", 65 * 1024)] {
        let mut stream = server.connect().await;
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n\r\n",
            server.addr
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        let (response, _) = read_all(&mut stream, Duration::from_secs(10)).await;
        assert_eq!(status_of(&response), 413, "{path}: {response}");
        assert_eq!(error_of(&response)["error"]["code"], "too_large", "{path}: {response}");
    }

    // Streamed: the 96 MB chunked log-in body is cut off at the form limit with a 413,
    // not a 500 wherever something below happened to give up.
    let stream = server.connect().await;
    let (mut reader, mut writer) = stream.into_split();
    let head = format!(
        "POST /api/auth/login HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n",
        server.addr
    );
    let sender = tokio::spawn(async move {
        writer.write_all(head.as_bytes()).await?;
        let chunk = format!("4000\r\n{}\r\n", "a".repeat(0x4000));
        for _ in 0..(96 * 64) {
            writer.write_all(chunk.as_bytes()).await?;
        }
        writer.write_all(b"0\r\n\r\n").await
    });
    let mut response = Vec::new();
    let mut buf = [0_u8; 4096];
    while !String::from_utf8_lossy(&response).contains("}}") {
        match tokio::time::timeout(Duration::from_secs(20), reader.read(&mut buf)).await.expect("an answer") {
            Ok(0) | Err(_) => break,
            Ok(n) => response.extend_from_slice(&buf[..n]),
        }
    }
    sender.abort();
    let response = String::from_utf8_lossy(&response).into_owned();
    assert_eq!(status_of(&response), 413, "{response}");
    assert_eq!(error_of(&response)["error"]["code"], "too_large", "{response}");

    // Under the limit, the route itself answers.
    let client = reqwest::Client::new();
    let login = client
        .post(format!("http://{}/api/auth/login", server.addr))
        .header("Origin", format!("http://{}", server.addr))
        .form(&[("email", "nobody@example.com"), ("password", "wrong password")])
        .send()
        .await
        .unwrap();
    assert_eq!(login.status().as_u16(), 401, "a wrong password, answered as one");
}

#[tokio::test]
async fn slow_or_oversized_requests_are_cut_off() {
    let server = Binary::start(&[
        ("OPSQUAD_SERVER__LIMITS__HEADER_SECONDS", "1"),
        ("OPSQUAD_SERVER__LIMITS__BODY_SECONDS", "1"),
    ]);

    // Headers that never finish: the connection is closed, not held open.
    let mut stream = server.connect().await;
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ").await.unwrap();
    let (_, closed) = read_all(&mut stream, Duration::from_secs(15)).await;
    assert!(closed, "a slow-loris client keeps its socket");

    // A body that stops arriving: 408 once the time is up.
    let mut stream = server.connect().await;
    let head = format!(
        "POST /api/v1/inbound HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"channel\":",
        server.addr
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let (response, _) = read_all(&mut stream, Duration::from_secs(15)).await;
    assert_eq!(status_of(&response), 408, "{response}");
    assert_eq!(error_of(&response)["error"]["code"], "request_timeout", "{response}");

    // 40 KB of headers: refused outright.
    let mut stream = server.connect().await;
    let head =
        format!("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Big: {}\r\n\r\n", "b".repeat(40 * 1024));
    stream.write_all(head.as_bytes()).await.unwrap();
    let (response, _) = read_all(&mut stream, Duration::from_secs(10)).await;
    assert_eq!(status_of(&response), 431, "{response}");
    assert_eq!(error_of(&response)["error"]["code"], "headers_too_large", "{response}");

    // And a well-behaved request still gets through.
    let mut stream = server.connect().await;
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.unwrap();
    let (response, _) = read_all(&mut stream, Duration::from_secs(10)).await;
    assert_eq!(status_of(&response), 200, "{response}");
}
