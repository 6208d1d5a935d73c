//! `/app/board`: the live pipeline. One column per stage; every card is a lead. The page loads
//! the current pipeline, then follows the org's event stream (`/app/events`) and moves cards as
//! leads change, with no reload. A dropped connection reconnects on its own and resumes from the
//! last event it saw; cards are keyed by lead and only ever replaced by a newer version, so a
//! replayed event neither duplicates nor rewinds a card.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use serde::{Deserialize, Serialize};

use crate::error::UiError;
use crate::shell::{or_error, AppPage};

pub use domain::pipeline::BoardCard as Card;
use domain::pipeline::{Stage, WaitingOn};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Board {
    pub cards: Vec<Card>,
    /// The server's clock when the board was read, so ages render the same on both sides.
    pub now_ms: i64,
    /// What the test inquiry says unless the owner writes their own: work this shop sells, at an
    /// address it serves.
    pub sample: String,
}

/// The columns, with the stage each holds: what needs the owner, then the pipeline in order.
pub const COLUMNS: [(Stage, &str); 9] = [
    // What needs the owner comes first, where it is seen without scrolling.
    (Stage::Escalated, "Needs you"),
    (Stage::New, "New"),
    (Stage::Qualifying, "Qualifying"),
    (Stage::Scheduling, "Scheduling"),
    (Stage::Booked, "Booked"),
    (Stage::Completed, "Completed"),
    (Stage::Invoiced, "Invoiced"),
    (Stage::Paid, "Paid"),
    (Stage::Disqualified, "Closed"),
];

/// The columns a test inquiry can reach, shown when the board sits inside the wizard.
const FIRST_DAY: [Stage; 6] =
    [Stage::New, Stage::Qualifying, Stage::Scheduling, Stage::Booked, Stage::Escalated, Stage::Disqualified];

#[server(prefix = "/api", endpoint = "board", input = leptos::server_fn::codec::GetUrl)]
pub async fn get_board() -> Result<Board, UiError> {
    use store::{events, now_ms, TenantTx};

    use crate::state::{auth_ctx, internal, respond, server_state};

    respond(
        async move {
            let ctx = auth_ctx()?;
            let state = server_state()?;
            let mut tx = TenantTx::read(&state.db, &ctx.scope).await.map_err(internal)?;
            let cards = events::board(&mut tx, 500).await.map_err(internal)?;
            let services = store::services::list(&mut tx).await.map_err(internal)?;
            let area = store::settings::get(&mut tx).await.map_err(internal)?.service_area;
            tx.commit().await.map_err(internal)?;
            let service = services.iter().find(|s| s.active).map(|s| s.name.as_str());
            let zip = area.zip_codes.first().or(area.center_zip.as_ref()).map(String::as_str);
            Ok(Board { cards, now_ms: now_ms(), sample: sample_inquiry(service, zip) })
        }
        .await,
    )
}

/// A sample customer asking for the shop's first service at an address it serves.
pub fn sample_inquiry(service: Option<&str>, zip: Option<&str>) -> String {
    let ask = service.map_or_else(
        || "Could someone take a look at a problem at our house?".to_owned(),
        |name| format!("We need help with {}.", name.to_lowercase()),
    );
    let at = zip.map_or_else(|| "We're at 12 Elm St.".to_owned(), |zip| format!("We're at 12 Elm St, {zip}."));
    format!("Hi! {ask} Could someone come out tomorrow morning? {at}")
}

/// Drops an inquiry from a sample customer into the pipeline, exactly as if it had arrived by
/// the web form, so the owner can watch the squad work. Returns the lead's id.
#[server(prefix = "/api", endpoint = "board/test-inquiry")]
pub async fn send_test_inquiry(body: String) -> Result<String, UiError> {
    use domain::pipeline::Channel;
    use domain::{Email, PersonName};
    use ops::inbound::{self, Inquiry};

    use crate::state::{auth_ctx, internal, respond, server_state};

    respond(
        async move {
            let ctx = auth_ctx()?;
            let state = server_state()?;
            let body = body.trim();
            if body.is_empty() {
                return Err(UiError::validation("body", "Write what the customer says."));
            }
            if body.chars().count() > 2000 {
                return Err(UiError::validation("body", "Keep the sample under 2,000 characters."));
            }
            // Each test is its own customer, so tests never continue each other's leads.
            let tag = store::now_ms();
            let inquiry = Inquiry {
                channel: Channel::Form,
                // A name the sample's text signs with is taken, as from any inquiry.
                name: domain::inbound::WrittenContact::read(body)
                    .name
                    .is_none()
                    .then(|| PersonName::parse("Sample Customer"))
                    .transpose()
                    .map_err(internal)?,
                email: Some(Email::parse(&format!("sample-{tag}@example.com")).map_err(internal)?),
                phone: None,
                subject: Some("Test inquiry".to_owned()),
                body: body.to_owned(),
                address: inbound::postal_code(body).map(|zip| format!("Test address {zip}")),
                proof: domain::inbound::SenderProof::None,
                external_id: None,
                known_customer: None,
            };
            let accepted = inbound::accept(&state.db, &ctx.scope, &inquiry).await?;
            tracing::info!(org_id = %ctx.scope.org_id(), lead_id = %accepted.lead_id, "test inquiry sent");
            Ok(accepted.lead_id.to_string())
        }
        .await,
    )
}

#[component]
pub fn BoardPage() -> impl IntoView {
    let board = Resource::new(|| (), |_| get_board());
    view! {
        <Title text="Pipeline" />
        <AppPage>
            <main class="mx-auto max-w-[96rem] space-y-4 px-4 py-6">
                <Suspense fallback=|| view! { <p class="text-slate-500">"Loading the pipeline…"</p> }>
                    {move || Suspend::new(async move { or_error(board.await, |board| view! { <LiveBoard board /> }.into_any()) })}
                </Suspense>
            </main>
        </AppPage>
    }
}

/// Puts `card` on the board unless the board already shows a newer version of that lead.
pub fn upsert(cards: &mut Vec<Card>, card: Card) {
    match cards.iter_mut().find(|c| c.lead_id == card.lead_id) {
        Some(existing) if existing.updated_at <= card.updated_at => *existing = card,
        Some(_) => {}
        None => cards.insert(0, card),
    }
}

/// The board; `open_test` is the wizard's compact version with the test inquiry form open.
#[component]
pub fn LiveBoard(board: Board, #[prop(optional)] open_test: bool) -> impl IntoView {
    let cards = RwSignal::new(board.cards);
    let now = RwSignal::new(board.now_ms);
    let leads = crate::live::LiveLeads::here();
    let live = leads.connected;
    leads.on_lead(move |card| {
        now.set(clock_now(now));
        cards.update(|all| upsert(all, card));
    });
    // After a gap, also re-read the whole board: events from before the first one this page saw
    // cannot be resumed by `Last-Event-ID`, and the snapshot merges without duplicates.
    leads.on_reconnect(move |()| {
        leptos::task::spawn_local(async move {
            if let Ok(board) = get_board().await {
                now.set(board.now_ms);
                cards.update(|all| board.cards.into_iter().rev().for_each(|card| upsert(all, card)));
            }
        });
    });
    #[cfg(feature = "hydrate")]
    tick::every_half_minute(now);
    let total = move || cards.with(Vec::len);
    let has_cards = move || total() > 0;
    view! {
        <div class="flex flex-wrap items-end justify-between gap-3">
            <div>
                {(!open_test).then(|| view! { <h1 class="text-2xl font-semibold tracking-tight">"Pipeline"</h1> })}
                <p class="text-sm text-slate-600">{move || format!("{} lead(s). Cards move on their own as the squad works.", total())}</p>
            </div>
            <p class="flex items-center gap-2 text-sm" data-testid="live-status">
                <span class=move || if live.get() { "h-2.5 w-2.5 rounded-full bg-emerald-500" } else { "h-2.5 w-2.5 rounded-full bg-amber-400" }></span>
                {move || if live.get() { "Live" } else { "Connecting…" }}
            </p>
        </div>
        <TestInquiry open=open_test sample=board.sample />
        <Show
            when=has_cards
            fallback=|| view! {
                <div class="rounded-xl border border-dashed border-slate-300 bg-white p-8 text-center">
                    <p class="font-medium text-slate-800">"No leads yet"</p>
                    <p class="mt-1 text-sm text-slate-600">"Inquiries from email, text, chat and your booking form land here. Send a test inquiry above to watch the squad answer, book and bill it."</p>
                </div>
            }
        >
            <div class=if open_test { "grid grid-cols-2 gap-3 sm:grid-cols-3" } else { "flex flex-col gap-3 pb-3 sm:snap-x sm:flex-row sm:overflow-x-auto" } data-testid="board">
                {COLUMNS.iter().filter(|(stage, _)| !open_test || FIRST_DAY.contains(stage)).map(|(stage, title)| {
                    let stage = *stage;
                    let in_column = move || cards.with(|all| all.iter().filter(|c| c.stage == stage).cloned().collect::<Vec<_>>());
                    view! {
                        // On a phone the columns stack and only those holding leads are shown.
                        <section
                            class=move || match (open_test, in_column().is_empty()) {
                                (true, _) => "min-w-0 rounded-xl bg-slate-100 p-2",
                                (false, true) => "max-sm:hidden w-64 shrink-0 snap-start rounded-xl bg-slate-100 p-2",
                                (false, false) => "sm:w-64 shrink-0 snap-start rounded-xl bg-slate-100 p-2",
                            }
                            data-stage=stage.as_str()
                            aria-label=*title
                        >
                            <h2 class="flex items-center justify-between px-1 pb-2 text-sm font-semibold text-slate-700">
                                {*title}
                                <span class="rounded-full bg-white px-2 text-xs text-slate-500">{move || in_column().len()}</span>
                            </h2>
                            <ul class="space-y-2">
                                <For each=in_column key=|c| (c.lead_id.clone(), c.updated_at) let:card>
                                    <LeadCard card now />
                                </For>
                            </ul>
                        </section>
                    }
                }).collect_view()}
            </div>
        </Show>
    }
}

#[component]
fn LeadCard(card: Card, now: RwSignal<i64>) -> impl IntoView {
    let created = card.created_at;
    let age = move || age_text(now.get() - created);
    let first_response =
        card.first_response_at.map(|at| format!("answered in {}", duration_text(at - card.created_at)));
    let urgent = card.urgency.as_deref() == Some("emergency");
    view! {
        <li class="rounded-lg border border-slate-200 bg-white p-3 shadow-sm" data-testid="lead-card" data-lead=card.lead_id.clone()>
            <div class="flex items-start justify-between gap-2">
                <A href=format!("/app/leads/{}", card.lead_id) attr:class="font-medium text-indigo-700 hover:text-indigo-500">{card.customer_name.clone()}</A>
                {card.score.map(|s| view! { <span class="rounded bg-slate-100 px-1.5 text-xs font-semibold text-slate-700" title="Lead score (1–10)">{s}"/10"</span> })}
            </div>
            <p class="mt-1 text-sm text-slate-600">{card.service.clone().unwrap_or_else(|| "Service not known yet".to_owned())}</p>
            <div class="mt-2 flex flex-wrap gap-1 text-xs">
                {card.urgency.clone().map(|u| view! {
                    <span class=if urgent { "rounded-full bg-rose-100 px-2 py-0.5 font-medium text-rose-800" } else { "rounded-full bg-slate-100 px-2 py-0.5 text-slate-700" }>{u}</span>
                })}
                {(card.waiting_on != WaitingOn::None).then(|| view! {
                    <span class="rounded-full bg-amber-100 px-2 py-0.5 text-amber-800">{waiting_text(card.waiting_on)}</span>
                })}
                {card.human_takeover.then(|| view! { <span class="rounded-full bg-indigo-100 px-2 py-0.5 text-indigo-800">"you're handling it"</span> })}
            </div>
            <p class="mt-2 text-xs text-slate-500">{age} {first_response.map(|f| format!(" · {f}"))}</p>
        </li>
    }
}

fn waiting_text(waiting_on: WaitingOn) -> &'static str {
    match waiting_on {
        WaitingOn::Owner => "waiting on you",
        WaitingOn::Customer => "waiting on customer",
        WaitingOn::None => "",
    }
}

/// "just now", "4 min ago", "3 h ago", "2 days ago".
pub fn age_text(ms: i64) -> String {
    let minutes = ms.max(0) / 60_000;
    match minutes {
        0 => "just now".to_owned(),
        1..=59 => format!("{minutes} min ago"),
        60..=2879 => format!("{} h ago", minutes / 60),
        _ => format!("{} days ago", minutes / 1440),
    }
}

/// "0.4 s", "12 s", "3 min".
pub fn duration_text(ms: i64) -> String {
    let ms = ms.max(0);
    if ms < 10_000 {
        format!("{}.{} s", ms / 1000, (ms % 1000) / 100)
    } else if ms < 120_000 {
        format!("{} s", ms / 1000)
    } else {
        format!("{} min", ms / 60_000)
    }
}

#[component]
fn TestInquiry(open: bool, sample: String) -> impl IntoView {
    let send = ServerAction::<SendTestInquiry>::new();
    let error = move || send.value().get().and_then(Result::err);
    let sent = move || send.value().get().is_some_and(|r| r.is_ok());
    view! {
        <details class="rounded-xl border border-slate-200 bg-white p-4" data-testid="test-inquiry" open=open>
            <summary class="cursor-pointer text-sm font-medium text-slate-800">"Send a test inquiry"</summary>
            <ActionForm action=send attr:class="mt-3 space-y-2">
                <label class="block text-sm text-slate-700" for="test-body">"What the customer writes"</label>
                <textarea id="test-body" name="body" rows="3" class="block w-full rounded-lg border border-slate-300 p-2 text-sm"
                    aria-invalid=move || error().is_some_and(|e| e.for_field("body").is_some()).to_string()>{sample}</textarea>
                {move || error().map(|e| view! { <p class="text-sm text-rose-700" role="alert">{e.for_field("body").unwrap_or_else(|| e.to_string())}</p> })}
                <div class="flex items-center gap-3">
                    <button type="submit" class="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-500 disabled:opacity-60" disabled=move || send.pending().get()>"Send it"</button>
                    {move || sent().then(|| view! { <span class="text-sm text-emerald-700" role="status">"Sent. Watch it appear under New and move across."</span> })}
                </div>
            </ActionForm>
        </details>
    }
}

/// The time now, in the browser; on the server (which renders the page once) the page's own.
fn clock_now(now: RwSignal<i64>) -> i64 {
    #[cfg(feature = "hydrate")]
    {
        let _ = now;
        js_sys::Date::now() as i64
    }
    #[cfg(not(feature = "hydrate"))]
    now.get_untracked()
}

#[cfg(feature = "hydrate")]
mod tick {
    use leptos::prelude::*;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;

    /// Keeps the cards' ages ("5 min ago") current.
    pub fn every_half_minute(now: RwSignal<i64>) {
        let tick = Closure::<dyn FnMut()>::new(move || now.set(js_sys::Date::now() as i64));
        if let Some(window) = web_sys::window() {
            if let Ok(id) =
                window.set_interval_with_callback_and_timeout_and_arguments_0(tick.as_ref().unchecked_ref(), 30_000)
            {
                let tick = StoredValue::new_local(tick);
                on_cleanup(move || {
                    tick.dispose();
                    if let Some(window) = web_sys::window() {
                        window.clear_interval_with_handle(id);
                    }
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card(id: &str, stage: Stage, updated_at: i64) -> Card {
        Card {
            lead_id: id.to_owned(),
            customer_name: "Ada".to_owned(),
            stage,
            waiting_on: WaitingOn::None,
            score: None,
            urgency: None,
            service: None,
            human_takeover: false,
            first_response_at: None,
            created_at: 0,
            updated_at,
        }
    }

    #[test]
    fn a_replayed_event_neither_duplicates_nor_rewinds_a_card() {
        let mut cards = vec![];
        upsert(&mut cards, card("a", Stage::New, 1));
        upsert(&mut cards, card("a", Stage::Booked, 3));
        upsert(&mut cards, card("a", Stage::Qualifying, 2));
        upsert(&mut cards, card("a", Stage::Booked, 3));
        assert_eq!(cards.len(), 1);
        assert_eq!(cards[0].stage, Stage::Booked);
        upsert(&mut cards, card("b", Stage::New, 4));
        assert_eq!(cards.len(), 2);
        assert_eq!(cards[0].lead_id, "b", "new leads go to the top");
    }

    #[test]
    fn ages_and_durations_read_like_a_person_wrote_them() {
        assert_eq!(age_text(-5), "just now");
        assert_eq!(age_text(4 * 60_000 + 10), "4 min ago");
        assert_eq!(age_text(3 * 3_600_000), "3 h ago");
        assert_eq!(age_text(3 * 86_400_000), "3 days ago");
        assert_eq!(duration_text(420), "0.4 s");
        assert_eq!(duration_text(12_300), "12 s");
        assert_eq!(duration_text(180_000), "3 min");
    }

    #[test]
    fn every_stage_has_a_column() {
        for stage in Stage::ALL {
            assert!(COLUMNS.iter().any(|(s, _)| s == stage), "{stage} has no column");
        }
    }
}

#[cfg(test)]
mod sample_tests {
    use super::sample_inquiry;

    #[test]
    fn the_sample_asks_for_the_shops_own_work_where_it_works() {
        assert_eq!(
            sample_inquiry(Some("EV charger install"), Some("61604")),
            "Hi! We need help with ev charger install. Could someone come out tomorrow morning? We're at 12 Elm St, 61604."
        );
        assert!(sample_inquiry(None, None).ends_with("We're at 12 Elm St."));
    }
}
