//! Operator commands, run as the `opsquad` binary on a real database file.

use serde_json::Value;

use crate::binary::{run, Binary};

#[tokio::test]
async fn an_operator_creates_a_scoped_key_and_revokes_it() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("opsquad.db").display());
    run(&url, &["migrate"]).unwrap();
    let org: Value = serde_json::from_str(
        &run(
            &url,
            &[
                "org",
                "create",
                "--name",
                "Volt Electric",
                "--owner-email",
                "owner@volt.example.com",
                "--password",
                "a long enough password",
            ],
        )
        .unwrap(),
    )
    .unwrap();
    let org_id = org["org_id"].as_str().unwrap();

    let line = run(&url, &["key", "create", "--org", org_id, "--scope", "inbound"]).unwrap();
    assert_eq!(line.lines().count(), 1, "one JSON line: {line}");
    let key: Value = serde_json::from_str(&line).unwrap();
    let (id, api_key) = (key["id"].as_str().unwrap(), key["api_key"].as_str().unwrap());
    assert!(api_key.starts_with("osq_"), "{key}");

    for (args, field) in [
        (vec!["key", "create", "--org", org_id, "--scope", "admin"], "--scope"),
        (vec!["key", "create", "--org", "not-an-org", "--scope", "read"], "--org"),
        (vec!["key", "create", "--org", "0190f8a5-8f3e-7c2b-9a6d-1f2e3d4c5b6a", "--scope", "read"], "--org"),
        (vec!["key", "revoke", "--id", "0190f8a5-8f3e-7c2b-9a6d-1f2e3d4c5b6a"], "--id"),
    ] {
        let refused = run(&url, &args).unwrap_err();
        assert!(refused.contains(field), "{args:?}: {refused}");
    }

    let server = Binary::on(&url, &[]);
    let client = reqwest::Client::new();
    let get = |path: &'static str| {
        let request = client.get(format!("http://{}{path}", server.addr)).bearer_auth(api_key);
        async move { request.send().await.unwrap() }
    };
    let me: Value = get("/api/v1/me").await.json().await.unwrap();
    assert_eq!((me["org"]["id"].as_str(), me["credential"]["scope"].as_str()), (Some(org_id), Some("inbound")));
    assert_eq!(me["role"], "staff", "an operator's key has staff rights unless told otherwise");
    assert_eq!(get("/api/v1/leads").await.status(), 403, "an inbound key reads nothing");

    let revoked: Value = serde_json::from_str(&run(&url, &["key", "revoke", "--id", id]).unwrap()).unwrap();
    assert_eq!(revoked["revoked"], true);
    assert_eq!(get("/api/v1/me").await.status(), 401, "revoked at once");
}

#[test]
fn a_development_setup_refuses_to_listen_beyond_this_machine() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("opsquad.db").display());
    let output = crate::binary::opsquad(&url, &["serve"])
        .env("OPSQUAD_ENV", "local")
        .env("OPSQUAD_ADDR", "0.0.0.0:0")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "it started: {said}");
    assert!(said.contains("refusing to listen on 0.0.0.0:0 with the development JWT key and test payments"), "{said}");
}

#[test]
fn the_binary_runs_from_any_directory_on_its_built_in_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("opsquad.db").display());
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_opsquad"))
        .arg("migrate")
        .current_dir(dir.path())
        .env_remove("OPSQUAD_CONFIG_DIR")
        .env_remove("OPSQUAD_ENV")
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(dir.path().join("opsquad.db").exists(), "it migrated the database it was given");
}
