//! Measures how inquiries are read and qualified against labelled cases (`evals/`): the offline
//! reader directly ([`run`]), or any model through Lead Response's first turn ([`run_with_model`]),
//! where the model reads the inquiry and calls `qualify_lead` with the facts. Each case names the
//! shop it was written to ([`shop`]); the report scores every field overall and per shop, with
//! confusion tables for the kind of work and the intent.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::agents::{self, AgentName, Task};
use crate::conversation::{Contact, CustomerMessage, Opening};
use crate::facts::InquiryFacts;
use crate::model::{InferenceSettings, Model, ModelError, ModelRequest};
use crate::offline::{read_inquiry, Inquiry};
use crate::price_list::PriceList;
use crate::tools::qualify::{qualify_lead, OrgContext};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvalCase {
    pub id: String,
    /// The configured shop the inquiry was written to (see [`shop`]).
    #[serde(default = "springfield")]
    pub shop: String,
    pub channel: String,
    pub from: EvalFrom,
    pub subject: Option<String>,
    pub body: String,
    pub address: Option<String>,
    pub expect: Expected,
}

fn springfield() -> String {
    "springfield".to_owned()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvalFrom {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expected {
    pub intent: String,
    pub qualified: bool,
    pub service: Option<String>,
    pub urgency: Option<String>,
    pub escalate: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("line {line}: {source}")]
    Json { line: usize, source: serde_json::Error },
    #[error("line {line}: no shop is called `{shop}` (springfield, bright_spark)")]
    UnknownShop { line: usize, shop: String },
}

/// One labelled set under `evals/`.
pub struct LabelledSet {
    /// What `--split` and the dashboard call it.
    pub name: &'static str,
    /// Its file under `evals/`; a frozen set's SHA-256 sits beside it (`.sha256`).
    pub file: &'static str,
    /// A holdout: never used to change a rule, refused when its hash does not match.
    pub frozen: bool,
    /// The copy built into the binary, for the dashboard's accuracy page.
    text: &'static str,
}

/// The labelled sets, in the order `all` runs them: `tune` (what the rules were written against),
/// `holdout` (frozen, never used to change a rule) and the earlier holdouts the rules changed after.
pub const SETS: &[LabelledSet] = &[
    LabelledSet { name: "tune", file: "tune.jsonl", frozen: false, text: include_str!("../../../evals/tune.jsonl") },
    LabelledSet {
        name: "holdout_v1",
        file: "holdout_v1.jsonl",
        frozen: true,
        text: include_str!("../../../evals/holdout_v1.jsonl"),
    },
    LabelledSet {
        name: "holdout_v2",
        file: "holdout_v2.jsonl",
        frozen: true,
        text: include_str!("../../../evals/holdout_v2.jsonl"),
    },
    LabelledSet {
        name: "holdout_v3",
        file: "holdout_v3.jsonl",
        frozen: true,
        text: include_str!("../../../evals/holdout_v3.jsonl"),
    },
    LabelledSet {
        name: "holdout_v4",
        file: "holdout_v4.jsonl",
        frozen: true,
        text: include_str!("../../../evals/holdout_v4.jsonl"),
    },
    LabelledSet {
        name: "holdout_v5",
        file: "holdout_v5.jsonl",
        frozen: true,
        text: include_str!("../../../evals/holdout_v5.jsonl"),
    },
    LabelledSet {
        name: "holdout",
        file: "holdout.jsonl",
        frozen: true,
        text: include_str!("../../../evals/holdout.jsonl"),
    },
];

/// The sets `split` names: one of [`SETS`] by name, or `all` of them; `None` for any other name.
pub fn sets(split: &str) -> Option<Vec<&'static LabelledSet>> {
    if split == "all" {
        return Some(SETS.iter().collect());
    }
    SETS.iter().find(|set| set.name == split).map(|set| vec![set])
}

/// The names `--split` accepts, for error messages and help.
pub fn split_names() -> String {
    let names: Vec<&str> = SETS.iter().map(|set| set.name).chain(["all"]).collect();
    names.join(", ")
}

/// The cases of `split` as built into the binary, for the dashboard's accuracy page.
pub fn bundled(split: &str) -> Option<Result<Vec<EvalCase>, ParseError>> {
    let sets = sets(split)?;
    Some(sets.iter().try_fold(Vec::new(), |mut cases, set| {
        cases.extend(parse_cases(set.text)?);
        Ok(cases)
    }))
}

/// The name of a shop the cases are written to, as the report shows it.
pub fn shop_name(name: &str) -> &str {
    match name {
        "springfield" => "Springfield heating and plumbing",
        "bright_spark" => "Bright Spark Electric",
        other => other,
    }
}

pub fn parse_cases(jsonl: &str) -> Result<Vec<EvalCase>, ParseError> {
    jsonl
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            let case: EvalCase = serde_json::from_str(l).map_err(|source| ParseError::Json { line: i + 1, source })?;
            match shop(&case.shop) {
                Some(_) => Ok(case),
                None => Err(ParseError::UnknownShop { line: i + 1, shop: case.shop }),
            }
        })
        .collect()
}

/// The shops the cases are written to: the demo HVAC and plumbing shop in Springfield, IL, and an
/// electrical shop in Peoria, IL with a few heating services.
pub fn shop(name: &str) -> Option<OrgContext> {
    match name {
        "springfield" => Some(crate::demo::org_context()),
        "bright_spark" => Some(OrgContext {
            area: domain::catalog::ServiceArea {
                zip_codes: (61602..=61616).map(|zip| zip.to_string()).collect(),
                ..Default::default()
            },
            price_list: PriceList::new(
                [
                    ("Outlet or switch repair", "outlets_switches"),
                    ("Light fixture install", "lighting"),
                    ("Ceiling fan install", "ceiling_fan"),
                    ("Electrical troubleshooting", "electrical_repair"),
                    ("Breaker and panel repair", "panel_repair"),
                    ("200 amp panel upgrade", "panel_upgrade"),
                    ("Whole-home rewire", "rewiring"),
                    ("Dedicated circuit", "dedicated_circuit"),
                    ("Standby generator install", "generator"),
                    ("Level 2 EV charger install", "ev_charger"),
                    ("Whole-home surge protector", "surge_protection"),
                    ("Smoke and CO detector install", "smoke_co_detectors"),
                    ("Electrical safety inspection", "electrical_inspection"),
                    ("Smart thermostat install", "thermostat"),
                    ("Furnace repair", "furnace_repair"),
                ],
                &[],
            ),
        }),
        _ => None,
    }
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

/// Every scored field.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Scores {
    pub cases: usize,
    pub qualification: Metric,
    pub intent: Metric,
    /// The kind of work.
    pub service: Metric,
    pub urgency: Metric,
    pub escalation: Metric,
    /// Life-safety cases (intent `safety_emergency`) that were escalated.
    pub life_safety_escalated: Metric,
}

impl Scores {
    fn all_wrong(&mut self, safety: bool) {
        self.cases += 1;
        for metric in
            [&mut self.qualification, &mut self.intent, &mut self.service, &mut self.urgency, &mut self.escalation]
        {
            metric.record(false);
        }
        if safety {
            self.life_safety_escalated.record(false);
        }
    }
}

/// Expected value → what was read → how often.
pub type Confusion = BTreeMap<String, BTreeMap<String, usize>>;

#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub cases: usize,
    pub overall: Scores,
    pub shops: BTreeMap<String, Scores>,
    pub service_confusion: Confusion,
    pub intent_confusion: Confusion,
    /// `id: field expected → got` for every miss.
    pub misses: Vec<String>,
}

pub fn run(cases: &[EvalCase]) -> Report {
    let mut report = Report { cases: cases.len(), ..Report::default() };
    for case in cases {
        // parse_cases refuses a case whose shop is unknown.
        let ctx = shop(&case.shop).unwrap_or_default();
        let inquiry = Inquiry {
            subject: case.subject.as_deref(),
            body: &case.body,
            address: case.address.as_deref(),
            has_phone: case.from.phone.is_some(),
            has_email: case.from.email.is_some(),
            price_list: &ctx.price_list,
        };
        score(&mut report, case, &read_inquiry(&inquiry), &ctx);
    }
    report
}

/// Lead Response's first request for a case, as the runtime builds it.
fn first_turn(case: &EvalCase, ctx: &OrgContext, settings: InferenceSettings) -> ModelRequest {
    let agent = AgentName::LeadResponse;
    let opening = Opening {
        task: Task::Inquiry,
        contact: Contact { has_phone: case.from.phone.is_some(), has_email: case.from.email.is_some() },
        live_chat: false,
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
        system: agents::system(agent, &ctx.price_list),
        messages: vec![opening.to_message()],
        tools: agents::tools(agent, &ctx.price_list),
        settings,
    }
}

/// Runs each case's first Lead Response turn on `model` and scores the facts it passes to
/// `qualify_lead`. A case where the model calls something else, or passes facts that do not fit
/// the schema, counts as wrong on every field; a failed call stops the run.
pub async fn run_with_model(
    cases: &[EvalCase],
    model: &dyn Model,
    settings: &InferenceSettings,
) -> Result<Report, ModelError> {
    let mut report = Report { cases: cases.len(), ..Report::default() };
    for case in cases {
        let ctx = shop(&case.shop).unwrap_or_default();
        let response = model.converse(&first_turn(case, &ctx, settings.clone())).await?;
        let facts = response
            .tool_uses()
            .find(|(_, name, _)| *name == "qualify_lead")
            .and_then(|(_, _, input)| serde_json::from_value::<InquiryFacts>(input.clone()).ok());
        match facts {
            Some(facts) => score(&mut report, case, &facts, &ctx),
            None => {
                let safety = case.expect.intent == "safety_emergency";
                report.overall.all_wrong(safety);
                report.shops.entry(case.shop.clone()).or_default().all_wrong(safety);
                report.misses.push(format!("{}: the model did not call qualify_lead with valid facts", case.id));
            }
        }
    }
    Ok(report)
}

fn score(report: &mut Report, case: &EvalCase, facts: &InquiryFacts, ctx: &OrgContext) {
    let q = qualify_lead(facts, ctx);
    let got_urgency = facts.urgency.map(|u| u.as_str().to_owned());
    // The kind of work is scored as the shop's service it maps to: work the shop does not sell
    // maps to none.
    let sold = facts.service.clone().filter(|kind| ctx.price_list.sells(kind));
    let name = |service: &Option<String>| service.clone().unwrap_or_else(|| "none".to_owned());
    *report.service_confusion.entry(name(&case.expect.service)).or_default().entry(name(&sold)).or_default() += 1;
    *report
        .intent_confusion
        .entry(case.expect.intent.clone())
        .or_default()
        .entry(facts.intent.as_str().to_owned())
        .or_default() += 1;
    let checks = [
        ("qualified", case.expect.qualified.to_string(), q.qualified.to_string()),
        ("intent", case.expect.intent.clone(), facts.intent.as_str().to_owned()),
        ("service", format!("{:?}", case.expect.service), format!("{sold:?}")),
        ("urgency", format!("{:?}", case.expect.urgency), format!("{got_urgency:?}")),
        ("escalate", case.expect.escalate.to_string(), q.escalate.is_some().to_string()),
    ];
    let mut scores = [&mut report.overall, report.shops.entry(case.shop.clone()).or_default()];
    for scores in &mut scores {
        scores.cases += 1;
        if case.expect.intent == "safety_emergency" {
            scores.life_safety_escalated.record(q.escalate.is_some());
        }
    }
    for (field, want, got) in checks {
        let ok = want == got;
        for scores in &mut scores {
            let metric = match field {
                "qualified" => &mut scores.qualification,
                "intent" => &mut scores.intent,
                "service" => &mut scores.service,
                "urgency" => &mut scores.urgency,
                _ => &mut scores.escalation,
            };
            metric.record(ok);
        }
        if !ok {
            report.misses.push(format!("{} ({}): {field} expected {want}, got {got}", case.id, case.shop));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tune() -> Vec<EvalCase> {
        parse_cases(include_str!("../../../evals/tune.jsonl")).unwrap()
    }

    /// The model path measures what the direct path does when the model is the offline one: the
    /// request a real model gets carries everything needed to read the inquiry.
    #[tokio::test]
    async fn through_the_model_the_offline_model_scores_what_the_reader_scores() {
        let all = tune();
        let settings = agents::settings(AgentName::LeadResponse, "offline-rules-v1");
        let direct = run(&all);
        let via_model = run_with_model(&all, &crate::offline::OfflineModel, &settings).await.unwrap();
        let (d, m) = (&direct.overall, &via_model.overall);
        assert_eq!(m.qualification.correct, d.qualification.correct, "{:#?}", via_model.misses);
        assert_eq!(m.intent.correct, d.intent.correct);
        assert_eq!(m.escalation.correct, d.escalation.correct);
    }

    /// The bar the rules were written to, for each shop. (The frozen holdout is what measures them.)
    #[test]
    fn the_tune_set_stays_above_the_bar() {
        let tune = tune();
        assert!(tune.len() >= 130);
        let report = run(&tune);
        for (shop, scores) in &report.shops {
            for (field, metric) in
                [("qualification", &scores.qualification), ("intent", &scores.intent), ("service", &scores.service)]
            {
                assert!(metric.accuracy() >= 0.95, "{shop} {field}: {:#?}", report.misses);
            }
        }
    }

    #[test]
    fn a_case_for_an_unknown_shop_or_with_a_misspelt_label_is_refused() {
        let case = r#"{"id":"x","shop":"nowhere","channel":"sms","from":{},"body":"hi","expect":{"intent":"other","qualified":false,"service":null,"urgency":null,"escalate":false}}"#;
        assert!(matches!(parse_cases(case), Err(ParseError::UnknownShop { line: 1, .. })));
        let typo = case.replace(r#""shop":"nowhere","#, "").replace("escalate", "escalated");
        assert!(matches!(parse_cases(&typo), Err(ParseError::Json { line: 1, .. })));
    }

    #[test]
    fn the_report_scores_each_shop_and_tabulates_confusions() {
        let line = |id: &str, shop: &str, body: &str, service: &str| {
            format!(
                r#"{{"id":"{id}","shop":"{shop}","channel":"sms","from":{{"phone":"555"}},"body":"{body}","expect":{{"intent":"service_request","qualified":true,"service":"{service}","urgency":"routine","escalate":false}}}}"#
            )
        };
        let cases = parse_cases(&format!(
            "{}\n{}",
            line("a", "springfield", "please schedule a furnace tune-up next week, 62704", "hvac_maintenance"),
            line("b", "bright_spark", "need a level 2 ev charger installed in my garage 61604", "ev_charger"),
        ))
        .unwrap();
        let report = run(&cases);
        assert_eq!(report.cases, 2);
        assert_eq!((report.shops["springfield"].cases, report.shops["bright_spark"].cases), (1, 1));
        assert_eq!(report.service_confusion["hvac_maintenance"]["hvac_maintenance"], 1);
        assert_eq!(report.service_confusion["ev_charger"].values().sum::<usize>(), 1);
    }
}
