//! Measures how inquiries are read and qualified against labelled cases (`evals/`): the offline
//! reader directly ([`run`]), or any model through Lead Response's first turn ([`run_with_model`]),
//! where the model reads the inquiry and calls `qualify_lead` with the facts.

use serde::{Deserialize, Serialize};

use crate::agents::{self, AgentName, Task};
use crate::conversation::{Contact, CustomerMessage, Opening};
use crate::facts::InquiryFacts;
use crate::model::{InferenceSettings, Model, ModelError, ModelRequest, SystemBlock};
use crate::offline::{read_inquiry, Inquiry};
use crate::tools::qualify::{qualify_lead, OrgContext};

#[derive(Debug, Clone, Deserialize)]
pub struct EvalCase {
    pub id: String,
    pub split: String,
    pub channel: String,
    pub from: EvalFrom,
    pub subject: Option<String>,
    pub body: String,
    pub address: Option<String>,
    pub expect: Expected,
}

#[derive(Debug, Clone, Deserialize)]
pub struct EvalFrom {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Expected {
    pub intent: String,
    pub qualified: bool,
    pub service: Option<String>,
    pub urgency: Option<String>,
    pub escalate: bool,
}

#[derive(Debug, thiserror::Error)]
#[error("line {line}: {source}")]
pub struct ParseError {
    line: usize,
    source: serde_json::Error,
}

pub fn parse_cases(jsonl: &str) -> Result<Vec<EvalCase>, ParseError> {
    jsonl
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| serde_json::from_str(l).map_err(|source| ParseError { line: i + 1, source }))
        .collect()
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Metric {
    pub correct: usize,
    pub total: usize,
}

impl Metric {
    fn record(&mut self, ok: bool) {
        self.total += 1;
        self.correct += usize::from(ok);
    }

    pub fn accuracy(&self) -> f64 {
        if self.total == 0 {
            return 0.0;
        }
        // Counts are small (hundreds): the conversion is exact.
        self.correct as f64 / self.total as f64
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub cases: usize,
    pub qualification: Metric,
    pub intent: Metric,
    pub service: Metric,
    pub urgency: Metric,
    pub escalation: Metric,
    /// `id: field expected → got` for every miss.
    pub misses: Vec<String>,
}

pub fn run(cases: &[EvalCase], ctx: &OrgContext) -> Report {
    let mut report = Report { cases: cases.len(), ..Report::default() };
    for case in cases {
        let inquiry = Inquiry {
            subject: case.subject.as_deref(),
            body: &case.body,
            address: case.address.as_deref(),
            has_phone: case.from.phone.is_some(),
            has_email: case.from.email.is_some(),
        };
        score(&mut report, case, &read_inquiry(&inquiry), ctx);
    }
    report
}

/// Lead Response's first request for a case, as the runtime builds it.
fn first_turn(case: &EvalCase, settings: InferenceSettings) -> ModelRequest {
    let agent = AgentName::LeadResponse;
    let opening = Opening {
        task: Task::Inquiry,
        contact: Contact { has_phone: case.from.phone.is_some(), has_email: case.from.email.is_some() },
        messages: vec![CustomerMessage {
            subject: case.subject.clone(),
            address: case.address.clone(),
            body: case.body.clone(),
        }],
        handoff: None,
        memory: Vec::new(),
        notes: Vec::new(),
    };
    ModelRequest {
        system: vec![SystemBlock { text: agents::prompt(agent).text, cache_point: true }],
        messages: vec![opening.to_message()],
        tools: agents::tools(agent),
        settings,
    }
}

/// Runs each case's first Lead Response turn on `model` and scores the facts it passes to
/// `qualify_lead`. A case where the model calls something else, or passes facts that do not fit
/// the schema, counts as wrong on every field; a failed call stops the run.
pub async fn run_with_model(
    cases: &[EvalCase],
    ctx: &OrgContext,
    model: &dyn Model,
    settings: &InferenceSettings,
) -> Result<Report, ModelError> {
    let mut report = Report { cases: cases.len(), ..Report::default() };
    for case in cases {
        let response = model.converse(&first_turn(case, settings.clone())).await?;
        let facts = response
            .tool_uses()
            .find(|(_, name, _)| *name == "qualify_lead")
            .and_then(|(_, _, input)| serde_json::from_value::<InquiryFacts>(input.clone()).ok());
        match facts {
            Some(facts) => score(&mut report, case, &facts, ctx),
            None => {
                for metric in [
                    &mut report.qualification,
                    &mut report.intent,
                    &mut report.service,
                    &mut report.urgency,
                    &mut report.escalation,
                ] {
                    metric.record(false);
                }
                report.misses.push(format!("{}: the model did not call qualify_lead with valid facts", case.id));
            }
        }
    }
    Ok(report)
}

fn score(report: &mut Report, case: &EvalCase, facts: &InquiryFacts, ctx: &OrgContext) {
    let q = qualify_lead(facts, ctx);
    let got_urgency = facts.urgency.map(|u| u.as_str().to_owned());
    let checks = [
        ("qualified", case.expect.qualified.to_string(), q.qualified.to_string()),
        ("intent", case.expect.intent.clone(), facts.intent.as_str().to_owned()),
        ("service", format!("{:?}", case.expect.service), format!("{:?}", facts.service)),
        ("urgency", format!("{:?}", case.expect.urgency), format!("{got_urgency:?}")),
        ("escalate", case.expect.escalate.to_string(), q.escalate.is_some().to_string()),
    ];
    for (field, want, got) in checks {
        let ok = want == got;
        let metric = match field {
            "qualified" => &mut report.qualification,
            "intent" => &mut report.intent,
            "service" => &mut report.service,
            "urgency" => &mut report.urgency,
            _ => &mut report.escalation,
        };
        metric.record(ok);
        if !ok {
            report.misses.push(format!("{}: {field} expected {want}, got {got}", case.id));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo_ctx() -> OrgContext {
        crate::demo::org_context()
    }

    /// The model path measures what the direct path does when the model is the offline one: the
    /// request a real model gets carries everything needed to read the inquiry.
    #[tokio::test]
    async fn through_the_model_the_offline_model_scores_what_the_reader_scores() {
        let all = parse_cases(include_str!("../../../evals/inquiries.jsonl")).unwrap();
        let settings = agents::settings(AgentName::LeadResponse, "offline-rules-v1");
        let direct = run(&all, &demo_ctx());
        let via_model = run_with_model(&all, &demo_ctx(), &crate::offline::OfflineModel, &settings).await.unwrap();
        assert_eq!(via_model.qualification.correct, direct.qualification.correct, "{:#?}", via_model.misses);
        assert_eq!(via_model.intent.correct, direct.intent.correct);
        assert_eq!(via_model.escalation.correct, direct.escalation.correct);
    }

    #[test]
    fn the_tune_split_stays_above_the_bar() {
        let all = parse_cases(include_str!("../../../evals/inquiries.jsonl")).unwrap();
        let tune: Vec<_> = all.into_iter().filter(|c| c.split == "tune").collect();
        assert!(tune.len() >= 40);
        let report = run(&tune, &demo_ctx());
        assert!(report.qualification.accuracy() >= 0.95, "{:#?}", report.misses);
        assert!(report.intent.accuracy() >= 0.95, "{:#?}", report.misses);
    }
}
