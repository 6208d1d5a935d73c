//! The "AI models" section of the settings page: which model each agent thinks with and how
//! (temperature, answer length, top-p). The org may choose only among the models this server has
//! a price for, so every call is billed and counted against the budgets.

use domain::policy::{Fraction, ModelOverride};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::components::ErrorBanner;
use crate::error::UiError;
use crate::setup_forms::{failed, general, when_saved, SaveButton, Saved};
use crate::shell::or_error;

/// One agent's settings as the form shows them: the org's choice ("" for the default) and the
/// configured default beside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentLine {
    pub agent: String,
    pub label: String,
    pub model_id: String,
    pub temperature: String,
    pub max_tokens: String,
    pub top_p: String,
    pub default_model: String,
    pub default_temperature: String,
    pub default_max_tokens: String,
    pub default_top_p: String,
    /// The org chose a model this server cannot bill (set before its price was removed, or
    /// through the API): it is ignored and the default is used.
    pub ignored_model: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelChoice {
    pub id: String,
    pub words: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelsView {
    pub can_change: bool,
    /// `bedrock` or `offline`.
    pub provider: String,
    pub choices: Vec<ModelChoice>,
    pub agents: Vec<AgentLine>,
    /// The stronger model for the turn after a refused tool call, if configured.
    pub hard_case_model: Option<String>,
}

pub fn agent_label(agent: &str) -> &'static str {
    match agent {
        "lead_response" => "Lead Response",
        "scheduler" => "Scheduler",
        _ => "Invoice",
    }
}

/// A temperature or top-p as typed: blank keeps the default.
fn read_fraction(field: &str, raw: &str) -> Result<Option<Fraction>, UiError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    match raw.parse::<f32>() {
        Ok(value) if (0.0..=1.0).contains(&value) => Ok(Some(Fraction(value))),
        _ => Err(UiError::validation(field, "A number from 0 to 1, like 0.2.")),
    }
}

/// One agent's form fields as the org's override; `None` when every field keeps the default.
/// `priced` says whether the server can bill a model.
pub fn read_override(
    agent: &str,
    fields: [&str; 4],
    priced: impl Fn(&str) -> bool,
) -> Result<Option<ModelOverride>, UiError> {
    let [model, temperature, max_tokens, top_p] = fields.map(str::trim);
    let model_id = if model.is_empty() {
        None
    } else if priced(model) {
        Some(model.to_owned())
    } else {
        return Err(UiError::validation(
            &format!("{agent}_model"),
            "This server has no price for that model, so it cannot be used.",
        ));
    };
    let max_tokens = if max_tokens.is_empty() {
        None
    } else {
        match max_tokens.replace(',', "").parse::<u32>() {
            Ok(n) if (1..=8192).contains(&n) => Some(n),
            _ => return Err(UiError::validation(&format!("{agent}_max_tokens"), "A whole number from 1 to 8,192.")),
        }
    };
    let chosen = ModelOverride {
        model_id,
        temperature: read_fraction(&format!("{agent}_temperature"), temperature)?,
        max_tokens,
        top_p: read_fraction(&format!("{agent}_top_p"), top_p)?,
    };
    Ok((chosen != ModelOverride::default()).then_some(chosen))
}

#[server(prefix = "/api", endpoint = "settings/models", input = leptos::server_fn::codec::GetUrl)]
pub async fn get_models() -> Result<ModelsView, UiError> {
    use domain::Role;
    use squad::agents::AgentName;

    use crate::setup::backend;
    use crate::state::{internal, respond, server_state};

    respond(
        async move {
            let catalog = server_state()?.models;
            let (mut tx, ctx) = backend::begin().await?;
            let settings = store::settings::get(&mut tx).await.map_err(internal)?;
            tx.commit().await.map_err(internal)?;
            let per_million = |per_1k: u64| crate::usage::dollars(i64::try_from(per_1k * 1000).unwrap_or(i64::MAX));
            let choices = catalog
                .prices
                .models()
                .into_iter()
                .map(|(id, price)| ModelChoice {
                    id: id.to_owned(),
                    words: format!(
                        "{id} ({} in, {} out per million tokens)",
                        per_million(price.input_per_1k),
                        per_million(price.output_per_1k)
                    ),
                })
                .collect();
            let number = |n: f32| format!("{}", (n * 100.0).round() / 100.0);
            let agents = [AgentName::LeadResponse, AgentName::Scheduler, AgentName::Invoice]
                .into_iter()
                .map(|agent| {
                    let default = catalog.defaults.get(agent);
                    let chosen = settings.policies.models.get(agent.as_str()).cloned().unwrap_or_default();
                    let (model_id, ignored_model) = match chosen.model_id {
                        Some(id) if catalog.prices.has(&id) => (id, None),
                        other => (String::new(), other),
                    };
                    AgentLine {
                        agent: agent.as_str().to_owned(),
                        label: agent_label(agent.as_str()).to_owned(),
                        model_id,
                        temperature: chosen.temperature.map(|t| number(t.0)).unwrap_or_default(),
                        max_tokens: chosen.max_tokens.map(|n| n.to_string()).unwrap_or_default(),
                        top_p: chosen.top_p.map(|t| number(t.0)).unwrap_or_default(),
                        default_model: default.model_id.clone(),
                        default_temperature: number(default.temperature),
                        default_max_tokens: default.max_tokens.to_string(),
                        default_top_p: number(default.top_p),
                        ignored_model,
                    }
                })
                .collect();
            Ok(ModelsView {
                can_change: ctx.role() == Role::Owner,
                provider: catalog.provider.to_owned(),
                choices,
                agents,
                hard_case_model: catalog.defaults.hard_case_model_id.clone(),
            })
        }
        .await,
    )
}

/// Saves the org's model choices. Only the owner may: a model choice changes what every lead
/// costs.
#[server(prefix = "/api", endpoint = "settings/models/save")]
#[allow(clippy::too_many_arguments)]
pub async fn save_models(
    lead_response_model: String,
    lead_response_temperature: String,
    lead_response_max_tokens: String,
    lead_response_top_p: String,
    scheduler_model: String,
    scheduler_temperature: String,
    scheduler_max_tokens: String,
    scheduler_top_p: String,
    invoice_model: String,
    invoice_temperature: String,
    invoice_max_tokens: String,
    invoice_top_p: String,
) -> Result<(), UiError> {
    use crate::setup::backend;
    use crate::state::{auth_ctx, respond, server_state};

    respond(
        async move {
            ops::permissions::require(&auth_ctx()?.scope, ops::Operation::ChangeModels)?;
            let catalog = server_state()?.models;
            let priced = |id: &str| catalog.prices.has(id);
            let mut models = std::collections::BTreeMap::new();
            for (agent, fields) in [
                (
                    "lead_response",
                    [&lead_response_model, &lead_response_temperature, &lead_response_max_tokens, &lead_response_top_p],
                ),
                ("scheduler", [&scheduler_model, &scheduler_temperature, &scheduler_max_tokens, &scheduler_top_p]),
                ("invoice", [&invoice_model, &invoice_temperature, &invoice_max_tokens, &invoice_top_p]),
            ] {
                if let Some(chosen) = read_override(agent, fields.map(String::as_str), priced)? {
                    models.insert(agent.to_owned(), chosen);
                }
            }
            backend::change_settings(ops::Operation::ChangeModels, "AI model settings updated", None, |s| {
                s.policies.models = models;
                Ok(())
            })
            .await
        }
        .await,
    )
}

const INPUT_CLASS: &str = "mt-1 block w-full rounded-lg border border-slate-300 bg-white px-3 py-2 text-sm \
    aria-[invalid=true]:border-rose-500 disabled:bg-slate-50";

/// The settings page's "AI models" section.
#[component]
pub fn ModelsSection(on_saved: Callback<()>) -> impl IntoView {
    let models = Resource::new(|| (), |()| get_models());
    view! {
        <Transition fallback=|| view! { <p class="text-sm text-slate-500">"Loading…"</p> }>
            {move || Suspend::new(async move {
                or_error(models.await, move |view| view! { <ModelsForm view on_saved /> }.into_any())
            })}
        </Transition>
    }
}

#[component]
fn ModelsForm(view: ModelsView, on_saved: Callback<()>) -> impl IntoView {
    let save = ServerAction::<SaveModels>::new();
    when_saved(save, on_saved);
    let error = failed(save);
    let locked = !view.can_change;
    let choices = view.choices;
    let offline = view.provider == "offline";
    view! {
        <ActionForm action=save attr:class="space-y-4" attr:data-testid="models-form">
            {locked.then(|| view! { <p class="text-sm text-slate-500">"Only the owner can change these."</p> })}
            {offline.then(|| view! {
                <p class="rounded-lg bg-slate-50 p-3 text-sm text-slate-600">
                    "This server runs the offline model (no cloud account), so there are no other models to choose. "
                    "What you set here applies when it runs on Amazon Bedrock."
                </p>
            })}
            {view.hard_case_model.map(|m| view! {
                <p class="text-xs text-slate-500">"After an agent's action is refused, its next turn uses " <span class="font-mono">{m}</span> "."</p>
            })}
            {view.agents.into_iter().map(|line| {
                let choices = choices.clone();
                view! { <AgentFields line choices locked error /> }
            }).collect_view()}
            <ErrorBanner error=general(error) />
            {(!locked).then(|| view! {
                <div class="flex items-center gap-3"><SaveButton label="Save" pending=save.pending() /><Saved show=Signal::derive(move || matches!(save.value().get(), Some(Ok(())))) /></div>
            })}
        </ActionForm>
    }
}

#[component]
fn AgentFields(
    line: AgentLine,
    choices: Vec<ModelChoice>,
    locked: bool,
    error: Signal<Option<UiError>>,
) -> impl IntoView {
    let agent = line.agent.clone();
    let field = move |suffix: &str| format!("{agent}_{suffix}");
    let message = move |name: String| Signal::derive(move || error.get().and_then(|e| e.for_field(&name)));
    let input = move |label: &'static str, name: String, value: String, placeholder: String, mode: &'static str| {
        let shown = message(name.clone());
        view! {
            <label class="block text-sm font-medium text-slate-700">{label}
                <input class=INPUT_CLASS type="text" inputmode=mode name=name.clone() id=name value=value placeholder=placeholder disabled=locked
                    aria-invalid=move || if shown.get().is_some() { "true" } else { "false" } />
                <span class="block text-sm font-normal text-rose-600" role="alert">{move || shown.get()}</span>
            </label>
        }
    };
    let model_name = field("model");
    let model_error = message(model_name.clone());
    let selected = line.model_id.clone();
    let summary = format!(
        "Default: {} · temperature {} · up to {} tokens · top-p {}",
        line.default_model, line.default_temperature, line.default_max_tokens, line.default_top_p
    );
    view! {
        <fieldset class="space-y-2 rounded-xl bg-slate-50 p-3" data-agent=line.agent.clone()>
            <legend class="px-1 text-sm font-semibold text-slate-800">{line.label}</legend>
            <p class="text-xs text-slate-500">{summary}</p>
            {line.ignored_model.map(|m| view! {
                <p class="text-xs text-amber-700" role="note">{format!("{m} has no price on this server, so the default is used.")}</p>
            })}
            <div class="grid gap-3 sm:grid-cols-[1fr_6rem_7rem_6rem]">
                <label class="block text-sm font-medium text-slate-700">"Model"
                    <select class=INPUT_CLASS name=model_name.clone() id=model_name disabled=locked>
                        <option value="" selected=selected.is_empty()>{format!("The default ({})", line.default_model)}</option>
                        {choices.into_iter().map(|c| {
                            let is = c.id == selected;
                            view! { <option value=c.id selected=is>{c.words}</option> }
                        }).collect_view()}
                    </select>
                    <span class="block text-sm font-normal text-rose-600" role="alert">{move || model_error.get()}</span>
                </label>
                {input("Temperature", field("temperature"), line.temperature, line.default_temperature, "decimal")}
                {input("Max tokens", field("max_tokens"), line.max_tokens, line.default_max_tokens, "numeric")}
                {input("Top-p", field("top_p"), line.top_p, line.default_top_p, "decimal")}
            </div>
        </fieldset>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn priced(id: &str) -> bool {
        id == "amazon.nova-lite-v1:0"
    }

    #[test]
    fn blank_fields_keep_the_defaults() {
        assert_eq!(read_override("scheduler", ["", " ", "", ""], priced).unwrap(), None);
    }

    #[test]
    fn a_choice_is_read_into_an_override() {
        let chosen = read_override("invoice", ["amazon.nova-lite-v1:0", "0.2", "2,048", ""], priced).unwrap().unwrap();
        assert_eq!(chosen.model_id.as_deref(), Some("amazon.nova-lite-v1:0"));
        assert_eq!(chosen.temperature, Some(Fraction(0.2)));
        assert_eq!(chosen.max_tokens, Some(2048));
        assert_eq!(chosen.top_p, None);
    }

    #[test]
    fn each_wrong_field_is_named() {
        let field = |fields| match read_override("lead_response", fields, priced).unwrap_err() {
            UiError::Validation { field, .. } => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(["unpriced-model", "", "", ""]), "lead_response_model");
        assert_eq!(field(["", "1.5", "", ""]), "lead_response_temperature");
        assert_eq!(field(["", "warm", "", ""]), "lead_response_temperature");
        assert_eq!(field(["", "", "0", ""]), "lead_response_max_tokens");
        assert_eq!(field(["", "", "9000", ""]), "lead_response_max_tokens");
        assert_eq!(field(["", "", "", "-0.1"]), "lead_response_top_p");
    }
}
