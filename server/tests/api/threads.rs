//! Long conversations stay bounded: however many times a customer writes on one lead, an agent
//! reads the newest messages in full and the earlier ones as one short summary, its tokens per
//! turn stay flat, and the timeline says what it did not read in full.

use serde_json::{json, Value};

use crate::helpers::TestApp;
use crate::on_both_backends;
use crate::squad::{inbound, lead};

on_both_backends!(tokens_per_turn_stay_flat_as_a_thread_grows_from_2_to_40_messages);

/// The input tokens of the first model call of the lead's newest run.
async fn first_call_tokens(app: &TestApp, lead_id: &str) -> i64 {
    app.admin_count(&format!(
        "SELECT input_tokens FROM run_steps WHERE kind = 'model_call' AND run_id =
           (SELECT id FROM agent_runs WHERE lead_id = '{lead_id}' ORDER BY started_at DESC, id DESC LIMIT 1)
         ORDER BY seq LIMIT 1"
    ))
    .await
}

async fn tokens_per_turn_stay_flat_as_a_thread_grows_from_2_to_40_messages(app: TestApp) {
    let shop = app.demo().await;
    let key = shop.api_key.clone();
    let body = |n: usize| {
        format!(
            "Message {n}: the furnace still rattles every morning before it starts, and the upstairs \
stays cold until noon. 12 Oak St, Springfield 62704. "
        )
        .repeat(3)
    };
    let first = json!({ "channel": "email", "from": { "name": "Dana Reed", "email": "dana@example.com" },
        "subject": "No heat", "body": body(1) });
    let lead_id = inbound(&app, &key, first).await;
    app.drain().await;
    // Dana answers in the email thread each time, as a mailbox reply proven by its thread would.
    let org = domain::OrgId::parse(&shop.org_id).unwrap();
    let scope = store::Operator::new("test").act_for(org, None, domain::Role::Owner);
    let mut tx = store::TenantTx::read(&app.db, &scope).await.unwrap();
    let opened = store::leads::get(&mut tx, domain::LeadId::parse(&lead_id).unwrap()).await.unwrap().unwrap();
    let dana = store::customers::get(&mut tx, opened.customer_id).await.unwrap().unwrap();
    tx.commit().await.unwrap();
    let mut tokens = Vec::new();
    for n in 2..=40 {
        let reply = ops::inbound::Inquiry {
            subject: Some("Re: No heat".into()),
            ..ops::inbound::Inquiry::from_known_customer(
                &dana,
                domain::pipeline::Channel::Email,
                domain::inbound::SenderProof::EmailThread,
                body(n),
            )
            .unwrap()
        };
        let accepted = ops::inbound::accept(&app.db, &scope, &reply).await.unwrap();
        assert_eq!(accepted.lead_id.to_string(), lead_id, "message {n} continues the same lead");
        app.drain().await;
        tokens.push((n, first_call_tokens(&app, &lead_id).await));
    }
    let at = |n: usize| tokens.iter().find(|(m, _)| *m == n).unwrap().1;
    let (two, twenty, forty) = (at(2), at(20), at(40));
    assert!(two > 0, "{tokens:?}");
    // The newest six in full and a bounded summary: past the summary's cap, nothing grows.
    assert_eq!(forty, twenty, "flat from 20 to 40 messages: {tokens:?}");
    assert!(forty < two * 4, "40 messages cost less than four times two: {tokens:?}");

    // The owner sees what the agent read only as a summary.
    let record: Value = lead(&app, &key, &lead_id).await;
    let notes: Vec<&str> = record["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["kind"] == "note")
        .filter_map(|s| s["payload"]["note"].as_str())
        .filter(|n| n.contains("as a short summary"))
        .collect();
    assert!(
        notes.iter().any(|n| n.contains("the 34 earliest of 40 customer messages")),
        "the newest run's note names what was summarized: {notes:?}"
    );
}
