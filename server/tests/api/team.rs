//! The team page's server functions: the owner invites staff by link, the invitee joins with a
//! password, staff cannot manage the team or the approval rules, removal ends the member's access
//! at once — and another org can neither see nor touch any of it. The invitation's link is emailed
//! to the invitee when Opsquad has a mail server. Also the usage report.

use serde_json::{json, Value};

use crate::helpers::{field, get, post, TestApp};
use crate::on_both_backends;
use crate::squad::{furnace, inbound};

on_both_backends!(
    the_owner_invites_staff_who_join_by_link,
    an_invitation_is_emailed_to_the_invitee_when_a_mail_server_is_set_up,
    staff_cannot_manage_the_team_or_the_approval_rules,
    a_removed_member_loses_access_at_once_and_can_be_invited_back,
    invitations_can_be_withdrawn_and_another_org_cannot_touch_the_team,
    the_usage_report_counts_leads_costs_and_budgets_per_org,
);

/// Invites `email` as the logged-in owner; returns the link's token.
pub(crate) async fn invite(owner: &TestApp, email: &str) -> String {
    let (status, body) = post(owner, "/api/team/invite", &[("email", email)]).await;
    assert_eq!(status, 200, "{body}");
    body["path"].as_str().unwrap().strip_prefix("/invite/").unwrap().to_owned()
}

/// Opens the link in a fresh browser and joins; returns that browser, logged in.
pub(crate) async fn join(app: &TestApp, token: &str, name: &str, password: &str) -> TestApp {
    let browser = app.new_browser();
    let response =
        browser.post_form("/api/invite/accept", &[("token", token), ("your_name", name), ("password", password)]).await;
    assert!(response.status().is_success() || response.status().is_redirection(), "{}", response.status());
    browser
}

async fn member_emails(app: &TestApp) -> Vec<String> {
    let team = get(app, "/api/team").await.1;
    team["members"].as_array().unwrap().iter().map(|m| m["email"].as_str().unwrap().to_owned()).collect()
}

async fn the_owner_invites_staff_who_join_by_link(app: TestApp) {
    let org = app.create_org("Invite Heating").await;
    assert_eq!(post(&app, "/api/team/invite", &[("email", "x@example.com")]).await.0, 401, "logged out");
    app.log_in(&org.owner_email, &org.password).await;
    let team = get(&app, "/api/team").await.1;
    assert_eq!(team["can_manage"], true);
    assert_eq!(team["members"].as_array().unwrap().len(), 1);
    assert_eq!(
        (team["members"][0]["is_you"].as_bool(), team["members"][0]["role"].as_str()),
        (Some(true), Some("owner"))
    );

    let (status, body) = post(&app, "/api/team/invite", &[("email", "not an email")]).await;
    assert_eq!((status, field(&body)), (422, "email"));
    let (status, body) = post(&app, "/api/team/invite", &[("email", &org.owner_email)]).await;
    assert_eq!((status, field(&body)), (409, "email"), "already on the team");

    let token = invite(&app, "Sam.Tech@Example.com").await;
    let team = get(&app, "/api/team").await.1;
    assert_eq!(team["invitations"][0]["email"], "sam.tech@example.com");
    let stored = app.admin_count(&format!("SELECT COUNT(*) FROM invitations WHERE token_hash LIKE '%{token}%'")).await;
    assert_eq!(stored, 0, "only the link's hash is stored");

    let visitor = app.new_browser();
    let (status, details) = get(&visitor, &format!("/api/invite?token={token}")).await;
    assert_eq!(status, 200);
    assert_eq!(details, json!({ "business_name": "Invite Heating", "email": "sam.tech@example.com" }));
    assert_eq!(get(&visitor, "/api/invite?token=garbage").await.0, 404);
    let (status, body) =
        post(&visitor, "/api/invite/accept", &[("token", token.as_str()), ("your_name", "Sam"), ("password", "short")])
            .await;
    assert_eq!((status, field(&body)), (422, "password"));

    let staff = join(&app, &token, "Sam Tech", "a long staff password").await;
    let me = get(&staff, "/api/team").await.1;
    assert_eq!(me["can_manage"], false);
    let sam = me["members"].as_array().unwrap().iter().find(|m| m["is_you"] == true).unwrap().clone();
    assert_eq!((sam["role"].as_str(), sam["name"].as_str()), (Some("staff"), Some("Sam Tech")));
    assert_eq!(get(&staff, "/api/board").await.0, 200, "staff see the pipeline");

    // The link works once; the invitation is no longer pending.
    assert_eq!(get(&visitor, &format!("/api/invite?token={token}")).await.0, 404);
    let again = app
        .new_browser()
        .post_form(
            "/api/invite/accept",
            &[("token", token.as_str()), ("your_name", ""), ("password", "another long password")],
        )
        .await;
    assert_eq!(again.status(), 404);
    assert_eq!(get(&app, "/api/team").await.1["invitations"], json!([]));
    let audit: Vec<String> = get(&app, "/api/setup").await.1["audit"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["what"].as_str().unwrap().to_owned())
        .collect();
    assert!(audit.contains(&"invited sam.tech@example.com".to_owned()), "{audit:?}");

    // An address with an account at another business cannot join a second one.
    let elsewhere = app.create_org("Elsewhere Plumbing").await;
    let token = invite(&app, &elsewhere.owner_email).await;
    let (status, body) = post(
        &app.new_browser(),
        "/api/invite/accept",
        &[("token", token.as_str()), ("your_name", ""), ("password", "a long staff password")],
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(member_emails(&app).await.len(), 2, "nothing half-joined");
}

async fn staff_cannot_manage_the_team_or_the_approval_rules(app: TestApp) {
    let org = app.create_org("Staff Rules").await;
    app.log_in(&org.owner_email, &org.password).await;
    let token = invite(&app, "staff@rules.example.com").await;
    let staff = join(&app, &token, "", "a long staff password").await;
    let owner_id = get(&app, "/api/team").await.1["members"][0]["id"].as_str().unwrap().to_owned();

    assert_eq!(post(&staff, "/api/team/invite", &[("email", "friend@example.com")]).await.0, 403);
    assert_eq!(post(&staff, "/api/team/remove", &[("id", owner_id.as_str())]).await.0, 403);
    let rules = [
        ("discounts", "block"),
        ("new_payment_address", "block"),
        ("booking_outside_rules", "block"),
        ("approval_fallback", "approve"),
        ("approval_after_hours", "1"),
        ("manipulation_fallback", "wait"),
        ("manipulation_after_hours", "24"),
        ("limit_fallback", "wait"),
        ("limit_after_hours", "24"),
        ("language_fallback", "wait"),
        ("language_after_hours", "24"),
    ];
    assert_eq!(post(&staff, "/api/setup/policies", &rules).await.0, 403);
    let policies = get(&staff, "/api/setup").await.1["policies"].clone();
    assert_eq!(policies["discounts"], "require_approval", "nothing changed");
    assert_eq!(post(&app, "/api/setup/policies", &rules).await.0, 200, "the owner can");
    assert_eq!(get(&staff, "/api/setup").await.1["policies"]["discounts"], "block");
    // Staff still do the day-to-day settings.
    let (status, _) =
        post(&staff, "/api/setup/area", &[("zip_codes", "62704"), ("center_zip", ""), ("radius_miles", "")]).await;
    assert_eq!(status, 200);
}

async fn a_removed_member_loses_access_at_once_and_can_be_invited_back(app: TestApp) {
    let org = app.create_org("Removal Electric").await;
    app.log_in(&org.owner_email, &org.password).await;
    let token = invite(&app, "leaving@example.com").await;
    let staff = join(&app, &token, "Lee", "a long staff password").await;
    let team = get(&app, "/api/team").await.1;
    let ids: Vec<(String, bool)> = team["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["id"].as_str().unwrap().to_owned(), m["is_you"].as_bool().unwrap()))
        .collect();
    let me = ids.iter().find(|(_, you)| *you).unwrap().0.clone();
    let lee = ids.iter().find(|(_, you)| !*you).unwrap().0.clone();

    let (status, body) = post(&app, "/api/team/remove", &[("id", me.as_str())]).await;
    assert_eq!((status, field(&body)), (422, "member"), "not yourself");
    assert_eq!(post(&app, "/api/team/remove", &[("id", "garbage")]).await.0, 404);
    assert_eq!(post(&app, "/api/team/remove", &[("id", lee.as_str())]).await.0, 200);
    assert_eq!(post(&app, "/api/team/remove", &[("id", lee.as_str())]).await.0, 404, "already removed");
    assert_eq!(get(&staff, "/api/board").await.0, 401, "the removed member's session ends at once");
    let back = app.new_browser();
    back.log_in("leaving@example.com", "a long staff password").await;
    assert_eq!(get(&back, "/api/board").await.0, 401, "and they cannot log in again");
    assert_eq!(member_emails(&app).await, [org.owner_email.to_lowercase()]);

    let token = invite(&app, "leaving@example.com").await;
    let returned = join(&app, &token, "Lee Again", "a brand new password").await;
    assert_eq!(get(&returned, "/api/board").await.0, 200, "invited back with a new password");
    assert_eq!(member_emails(&app).await.len(), 2);
}

async fn invitations_can_be_withdrawn_and_another_org_cannot_touch_the_team(app: TestApp) {
    let org = app.create_org("Wall Heating").await;
    app.log_in(&org.owner_email, &org.password).await;
    let token = invite(&app, "maybe@example.com").await;
    let staff_token = invite(&app, "stays@example.com").await;
    let staff = join(&app, &staff_token, "", "a long staff password").await;
    let team = get(&app, "/api/team").await.1;
    let invitation = team["invitations"][0]["id"].as_str().unwrap().to_owned();
    let staff_id = team["members"].as_array().unwrap().iter().find(|m| m["role"] == "staff").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let other = app.create_org("Other Org").await;
    let stranger = app.new_browser();
    stranger.log_in(&other.owner_email, &other.password).await;
    let theirs = get(&stranger, "/api/team").await.1;
    assert_eq!(theirs["members"].as_array().unwrap().len(), 1, "{theirs}");
    assert_eq!(theirs["invitations"], json!([]));
    assert_eq!(post(&stranger, "/api/team/remove", &[("id", staff_id.as_str())]).await.0, 404);
    assert_eq!(post(&stranger, "/api/team/invitations/revoke", &[("id", invitation.as_str())]).await.0, 404);
    assert_eq!(get(&staff, "/api/board").await.0, 200, "still a member");
    assert_eq!(get(&app.new_browser(), &format!("/api/invite?token={token}")).await.0, 200, "still pending");

    assert_eq!(post(&app, "/api/team/invitations/revoke", &[("id", invitation.as_str())]).await.0, 200);
    assert_eq!(post(&app, "/api/team/invitations/revoke", &[("id", invitation.as_str())]).await.0, 404);
    assert_eq!(get(&app.new_browser(), &format!("/api/invite?token={token}")).await.0, 404, "withdrawn");
    let forged = app.client.post(app.url("/api/team/invite")).form(&[("email", "x@example.com")]).send().await.unwrap();
    assert_eq!(forged.status(), 403, "cross-site posts are refused");
    for path in ["/api/team", "/api/usage"] {
        assert_eq!(get(&app.new_browser(), path).await.0, 401, "{path} logged out");
    }
}

async fn the_usage_report_counts_leads_costs_and_budgets_per_org(app: TestApp) {
    let demo = app.demo().await;
    inbound(&app, &demo.api_key, furnace("usage@example.com")).await;
    app.drain().await;
    app.log_in(&demo.owner_email, &demo.password).await;
    let (status, report) = get(&app, "/api/usage").await;
    assert_eq!(status, 200, "{report}");
    let days = report["days"].as_array().unwrap();
    assert_eq!(days.len(), 14);
    assert_eq!(days.last().unwrap()["leads"], 1, "today's lead");
    let totals = &report["totals"];
    assert_eq!((totals["leads"].as_i64(), totals["booked"].as_i64()), (Some(1), Some(1)), "{report}");
    assert_eq!(totals["spent_micros"], 0, "the offline model costs nothing");
    // Price the lead's runs as a paid model would have, and the day's usage with them.
    app.admin_execute(&format!("UPDATE agent_runs SET cost_micros = 2500 WHERE org_id = '{}'", demo.org_id)).await;
    let spent = app
        .admin_count(&format!(
            "SELECT CAST(COALESCE(SUM(cost_micros), 0) AS BIGINT) FROM agent_runs WHERE org_id = '{}'",
            demo.org_id
        ))
        .await;
    assert!(spent >= 2500);
    let today = chrono::DateTime::from_timestamp_millis(store::now_ms()).unwrap().format("%Y-%m-%d");
    app.admin_execute(&format!(
        "UPDATE usage SET cost_micros = {spent} WHERE org_id = '{}' AND day = '{today}'",
        demo.org_id
    ))
    .await;
    let report = get(&app, "/api/usage").await.1;
    let totals = &report["totals"];
    assert_eq!(totals["spent_micros"].as_i64(), Some(spent));
    assert_eq!(totals["cost_per_lead_micros"].as_i64(), Some(spent));
    assert_eq!(totals["cost_per_booked_micros"].as_i64(), Some(spent));
    assert!(totals["median_response_ms"].as_i64().is_some());
    let funnel: Vec<i64> = report["funnel"].as_array().unwrap().iter().map(|s| s["count"].as_i64().unwrap()).collect();
    assert_eq!(funnel[..3], [1, 1, 1], "inquiry, qualified, booked: {report}");
    assert_eq!(report["budgets"]["spent_today_micros"].as_i64(), Some(spent));
    assert!(report["budgets"]["daily_budget_micros"].as_i64().unwrap() > 0);

    let other = app.create_org("Quiet Org").await;
    let stranger = app.new_browser();
    stranger.log_in(&other.owner_email, &other.password).await;
    let theirs = get(&stranger, "/api/usage").await.1;
    assert_eq!(theirs["totals"]["leads"], 0);
    assert_eq!(theirs["totals"]["cost_per_lead_micros"], Value::Null);
    assert_eq!(theirs["budgets"]["spent_today_micros"], 0);
}

async fn an_invitation_is_emailed_to_the_invitee_when_a_mail_server_is_set_up(app: TestApp) {
    let org = app.create_org("Mailed Invites Electric").await;
    // Without a mail server the owner is told to pass the link on; nothing claims it was emailed.
    app.log_in(&org.owner_email, &org.password).await;
    let (status, body) = post(&app, "/api/team/invite", &[("email", "first@example.com")]).await;
    assert_eq!((status, body["emailed"].as_bool()), (200, Some(false)), "{body}");

    let peers = crate::mail_peers::MailPeers::start().await;
    let mailing = app.serve_with(|s| s.account_mail = crate::account_email::account_mail(peers.smtp_port)).await;
    mailing.log_in(&org.owner_email, &org.password).await;
    let (status, body) = post(&mailing, "/api/team/invite", &[("email", "sam@example.com")]).await;
    assert_eq!((status, body["emailed"].as_bool()), (200, Some(true)), "{body}");
    let letters = peers.received();
    assert_eq!(letters.len(), 1);
    let letter = letters[0].replace("=\r\n", "").replace("=\n", "");
    assert!(letter.contains("To: sam@example.com"), "{letter}");
    assert!(letter.contains("Mailed Invites Electric invites you to its team on Opsquad"), "{letter}");
    let path = body["path"].as_str().unwrap();
    assert!(letter.contains(path), "the email carries the link the owner sees: {letter}");
    // The emailed link works: Sam joins with it.
    let token = path.strip_prefix("/invite/").unwrap();
    let sam = crate::team::join(&mailing, token, "Sam", "a long staff password").await;
    let (status, me) = get(&sam, "/api/team").await;
    assert_eq!(status, 200, "{me}");
    assert!(me["members"].as_array().unwrap().iter().any(|m| m["email"] == "sam@example.com" && m["is_you"] == true));
}
