//! Measures the offline reader and `qualify_lead` against labelled inquiries (`evals/`).

use serde::{Deserialize, Serialize};

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
        let facts = read_inquiry(&inquiry);
        let q = qualify_lead(&facts, ctx);
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
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo_ctx() -> OrgContext {
        crate::demo::org_context()
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
