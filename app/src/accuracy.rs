//! `/app/accuracy`: how well the offline reader reads inquiries, measured on labelled ones. The
//! owner picks a set and runs it; the page shows each field's accuracy for each sample shop, how
//! many life-safety messages reached a person, and what each kind of request was read as.

use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

use crate::components::ErrorBanner;
use crate::error::UiError;
use crate::shell::AppPage;

/// One row of the accuracy table: a field, and its share right overall and per shop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldRow {
    pub label: String,
    /// "94%", overall then one per shop.
    pub values: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccuracyReport {
    pub set: String,
    pub cases: usize,
    /// "All", then each shop's name with its number of cases.
    pub columns: Vec<String>,
    pub rows: Vec<FieldRow>,
    /// What each kind of message was read as: (expected, read as, count), misread ones only.
    pub misread: Vec<(String, String, usize)>,
}

/// A share as a whole percentage, "—" when nothing was counted.
pub fn percent(correct: usize, total: usize) -> String {
    if total == 0 {
        return "—".to_owned();
    }
    format!("{}%", (correct * 100 + total / 2) / total)
}

/// Runs the offline reader on one of the labelled sets built into the server.
#[server(prefix = "/api", endpoint = "accuracy/run")]
pub async fn run_accuracy(set: String) -> Result<AccuracyReport, UiError> {
    use squad::eval::{self, Scores};

    use crate::state::{auth_ctx, internal, respond};

    respond(
        async move {
            auth_ctx()?;
            let cases = eval::bundled(&set)
                .ok_or_else(|| UiError::validation("set", "Choose one of the sets listed."))?
                .map_err(internal)?;
            let report = eval::run(&cases);
            let mut columns = vec![format!("All ({})", report.cases)];
            let mut scores: Vec<&Scores> = vec![&report.overall];
            for (shop, shop_scores) in &report.shops {
                columns.push(format!("{} ({})", eval::shop_name(shop), shop_scores.cases));
                scores.push(shop_scores);
            }
            let row = |label: &str, pick: fn(&Scores) -> &eval::Metric| FieldRow {
                label: label.to_owned(),
                values: scores.iter().map(|s| percent(pick(s).correct, pick(s).total)).collect(),
            };
            let rows = vec![
                row("Qualified or not", |s| &s.qualification),
                row("What they want", |s| &s.intent),
                row("Kind of work", |s| &s.service),
                row("How urgent", |s| &s.urgency),
                row("Needs a person", |s| &s.escalation),
                FieldRow {
                    label: "Life-safety messages sent to a person".to_owned(),
                    values: scores
                        .iter()
                        .map(|s| format!("{} of {}", s.life_safety_escalated.correct, s.life_safety_escalated.total))
                        .collect(),
                },
            ];
            let mut misread: Vec<(String, String, usize)> = report
                .intent_confusion
                .iter()
                .flat_map(|(expected, got)| {
                    got.iter()
                        .filter(move |(read, _)| *read != expected)
                        .map(move |(read, n)| (words(expected), words(read), *n))
                })
                .collect();
            misread.sort_by_key(|m| std::cmp::Reverse(m.2));
            Ok(AccuracyReport { set, cases: report.cases, columns, rows, misread })
        }
        .await,
    )
}

/// An intent in plain words.
pub fn words(intent: &str) -> String {
    match intent {
        "service_request" => "a job",
        "quote_request" => "a price question",
        "safety_emergency" => "a safety emergency",
        "complaint" => "a complaint",
        "spam" => "spam",
        "vendor" => "a sales pitch",
        "job_applicant" => "a job application",
        "other_trade" => "work of another trade",
        other => other,
    }
    .to_owned()
}

const SETS: [(&str, &str); 7] = [
    ("holdout", "Frozen test set: written after the rules were final, never used to change them"),
    ("holdout_v5", "Earlier test set (December 2): the rules changed after it was frozen"),
    ("holdout_v4", "Earlier test set (December 1, third): the rules changed after it was frozen"),
    ("holdout_v3", "Earlier test set (December 1, second): the rules changed after it was frozen"),
    ("holdout_v2", "Earlier test set (December 1, first): the rules changed after it was frozen"),
    ("holdout_v1", "First test set (November 30): the rules changed after it was frozen"),
    ("tune", "Practice set: the examples the rules were written against"),
];

#[component]
pub fn AccuracyPage() -> impl IntoView {
    let run = ServerAction::<RunAccuracy>::new();
    let error = Signal::derive(move || run.value().get().and_then(Result::err));
    view! {
        <Title text="Reading accuracy" />
        <AppPage>
            <main class="mx-auto max-w-5xl space-y-4 px-4 py-6">
                <div>
                    <h1 class="text-2xl font-semibold tracking-tight">"Reading accuracy"</h1>
                    <p class="text-sm text-slate-600">
                        "Without an AI account, the squad reads inquiries with built-in rules. Here you can check them against "
                        "example messages that people labelled by hand, for two sample shops: a heating and plumbing shop and an electrician."
                    </p>
                </div>
                <ActionForm action=run attr:class="space-y-3 rounded-xl border border-slate-200 bg-white p-4" attr:data-testid="accuracy-form">
                    <fieldset class="space-y-2">
                        <legend class="text-sm font-medium text-slate-700">"Which examples"</legend>
                        {SETS.into_iter().enumerate().map(|(i, (value, label))| view! {
                            <label class="flex items-start gap-2 text-sm text-slate-700">
                                <input type="radio" name="set" value=value checked=i == 0 class="mt-1" />
                                <span>{label}</span>
                            </label>
                        }).collect_view()}
                    </fieldset>
                    <button type="submit" class="rounded-lg bg-slate-900 px-4 py-2 text-sm font-medium text-white disabled:opacity-60"
                        disabled=move || run.pending().get()>
                        {move || if run.pending().get() { "Checking…" } else { "Check the rules" }}
                    </button>
                </ActionForm>
                <ErrorBanner error />
                {move || run.value().get().and_then(Result::ok).map(|report| view! { <Results report /> })}
            </main>
        </AppPage>
    }
}

#[component]
fn Results(report: AccuracyReport) -> impl IntoView {
    let AccuracyReport { cases, columns, rows, misread, .. } = report;
    view! {
        <section class="space-y-4" data-testid="accuracy-results">
            <p class="text-sm text-slate-600">{format!("{cases} example messages checked. Each number is the share the rules read the way a person did.")}</p>
            <div class="overflow-x-auto rounded-xl border border-slate-200 bg-white">
                <table class="min-w-full text-sm">
                    <thead class="bg-slate-50 text-left text-xs uppercase tracking-wide text-slate-500">
                        <tr>
                            <th class="px-3 py-2">"What was read"</th>
                            {columns.into_iter().map(|c| view! { <th class="px-3 py-2">{c}</th> }).collect_view()}
                        </tr>
                    </thead>
                    <tbody>
                        {rows.into_iter().map(|row| view! {
                            <tr class="border-t border-slate-100">
                                <th class="px-3 py-2 text-left font-medium text-slate-700">{row.label}</th>
                                {row.values.into_iter().map(|v| view! { <td class="px-3 py-2 tabular-nums">{v}</td> }).collect_view()}
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            <div class="rounded-xl border border-slate-200 bg-white p-4">
                <h2 class="text-sm font-semibold text-slate-800">"Messages read as something else"</h2>
                {if misread.is_empty() {
                    view! { <p class="mt-1 text-sm text-slate-600">"None: every message was read as what it is."</p> }.into_any()
                } else {
                    view! {
                        <ul class="mt-1 space-y-1 text-sm text-slate-700">
                            {misread.into_iter().map(|(expected, read, n)| view! {
                                <li>{format!("{n} × {expected} read as {read}")}</li>
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }}
            </div>
        </section>
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn shares_are_whole_percentages() {
        assert_eq!(super::percent(19, 20), "95%");
        assert_eq!(super::percent(2, 3), "67%");
        assert_eq!(super::percent(0, 0), "—");
    }
}
