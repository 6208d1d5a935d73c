//! The chat widget's window, `/widget/{org}`: the page the loader (`public/widget.js`) opens in an
//! iframe on the shop's own site. A visitor writes; the squad's replies (and a person's, once
//! someone at the shop joins) arrive over the session's event stream (`/widget/{org}/events`).
//!
//! The visitor's session token is kept on the shop's site by the loader (see `browser`), so a
//! reload or a second tab there resumes the same conversation. The token is the widget's own
//! credential (audience `widget`), useless anywhere else.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use serde::{Deserialize, Serialize};

use crate::error::UiError;

/// What the window shows before any conversation: whose chat this is and how it looks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatFront {
    pub business: String,
    pub greeting: String,
    /// `#rrggbb`, checked when the owner saved it.
    pub accent_color: String,
}

/// One line of the conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatLine {
    pub id: String,
    /// `visitor`, `assistant` or `person`.
    pub from: String,
    pub body: String,
    /// Times this line offers; the visitor books one with a tap.
    #[serde(default)]
    pub choices: Vec<ChatChoice>,
}

/// An offered time, as its button shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatChoice {
    pub id: String,
    pub label: String,
}

/// A session (new or resumed) and its conversation so far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatStart {
    pub token: String,
    pub lines: Vec<ChatLine>,
    pub person_joined: bool,
    pub contact: Option<ChatContact>,
}

/// How the visitor can be reached after leaving the page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatContact {
    /// The email address or number they left.
    pub contact: String,
    /// Replies written while they are away also go there by email.
    pub emailed: bool,
}

impl ChatContact {
    /// What the window says about it: only what will really happen.
    pub fn words(&self) -> String {
        let contact = &self.contact;
        if self.emailed {
            format!("If you leave this page, we'll email our replies to {contact}. You can answer there.")
        } else if contact.contains('@') {
            format!("The team has your email, {contact}, to reach you if you leave this page.")
        } else {
            format!("The team has your number, {contact}, to call you back if you leave this page.")
        }
    }
}

#[cfg(feature = "ssr")]
fn chat_contact(left: ops::widget::LeftContact) -> ChatContact {
    ChatContact { contact: left.contact, emailed: left.emailed }
}

#[cfg(feature = "ssr")]
pub mod session {
    //! Widget session tokens: minted for one session of one org's widget, verified against both.

    use domain::WidgetSessionId;
    use ops::widget::Widget;

    use crate::error::UiError;
    use crate::state::{internal, ServerState};

    /// How long a token lasts; the window trades it for a fresh one each time it opens.
    pub const TOKEN_TTL_SECONDS: u64 = 12 * 3600;

    pub fn issue(state: &ServerState, widget: &Widget, session: WidgetSessionId) -> Result<String, UiError> {
        state
            .keys
            .issue(auth::jwt::Audience::Widget, widget.org(), &session.to_string(), TOKEN_TTL_SECONDS)
            .map_err(internal)
    }

    /// The session `token` names, when it is a live token for one of this widget's sessions.
    pub async fn verify(state: &ServerState, widget: &Widget, token: &str) -> Option<WidgetSessionId> {
        let claims = state.keys.verify(token, auth::jwt::Audience::Widget).ok()?;
        if claims.org != widget.org() {
            return None;
        }
        let session = WidgetSessionId::parse(&claims.sub).ok()?;
        ops::widget::has_session(&state.db, widget, session).await.ok()?.then_some(session)
    }

    /// The widget of `org` and the session `token` names, for a visitor who writes or taps:
    /// within the per-address and per-shop message limits.
    pub async fn writing(state: &ServerState, org: &str, token: &str) -> Result<(Widget, WidgetSessionId), UiError> {
        use auth::throttle::{Action, Subject};

        let widget = ops::widget::open(&state.db, org).await?;
        let id = verify(state, &widget, token).await.ok_or_else(expired)?;
        let address = crate::state::client_ip().await?;
        state.throttle.allow(Action::ChatMessage, Subject::Address(address)).map_err(UiError::rate_limited)?;
        state.throttle.allow(Action::ChatMessageOrg, Subject::Named(org)).map_err(UiError::rate_limited)?;
        Ok((widget, id))
    }

    pub fn expired() -> UiError {
        UiError::Conflict { field: "session".into(), message: "This chat has expired. Start a new one.".into() }
    }
}

/// A line as the window shows it (also what the event stream sends).
#[cfg(feature = "ssr")]
pub fn chat_line(line: ops::widget::Line) -> ChatLine {
    use ops::widget::Speaker;
    ChatLine {
        id: line.id.to_string(),
        from: match line.speaker {
            Speaker::Visitor => "visitor",
            Speaker::Assistant => "assistant",
            Speaker::Person => "person",
        }
        .to_owned(),
        body: line.body,
        choices: line.choices.into_iter().map(|c| ChatChoice { id: c.id.to_string(), label: c.label }).collect(),
    }
}

#[server(prefix = "/api", endpoint = "widget/front", input = leptos::server_fn::codec::GetUrl)]
pub async fn get_chat_front(org: String) -> Result<ChatFront, UiError> {
    use crate::state::{respond, server_state};

    respond(
        async move {
            let state = server_state()?;
            let widget = ops::widget::open(&state.db, &org).await?;
            let business = ops::widget::business(&state.db, &widget).await?;
            let settings = widget.settings();
            Ok(ChatFront { business, greeting: settings.greeting.clone(), accent_color: settings.accent_color.clone() })
        }
        .await,
    )
}

/// Opens the window's session: the one `token` names if it is still good, else a new one.
#[server(prefix = "/api", endpoint = "widget/start")]
pub async fn start_chat(org: String, token: Option<String>) -> Result<ChatStart, UiError> {
    use auth::throttle::{Action, Subject};

    use crate::state::{client_ip, respond, server_state};

    respond(
        async move {
            let state = server_state()?;
            let widget = ops::widget::open(&state.db, &org).await?;
            let resumed = match token.as_deref() {
                Some(token) => session::verify(&state, &widget, token).await,
                None => None,
            };
            let id = match resumed {
                Some(id) => id,
                None => {
                    state
                        .throttle
                        .allow(Action::ChatSession, Subject::Address(client_ip().await?))
                        .map_err(UiError::rate_limited)?;
                    state
                        .throttle
                        .allow(Action::ChatSessionOrg, Subject::Named(&org))
                        .map_err(UiError::rate_limited)?;
                    ops::widget::start_session(&state.db, &widget).await?
                }
            };
            let conversation = ops::widget::conversation(&state.db, &widget, id).await?;
            Ok(ChatStart {
                token: session::issue(&state, &widget, id)?,
                lines: conversation.lines.into_iter().map(chat_line).collect(),
                person_joined: conversation.person_joined,
                contact: ops::widget::left_contact(&state.db, &widget, id).await?.map(chat_contact),
            })
        }
        .await,
    )
}

/// The visitor's message; the reply arrives over the event stream.
#[server(prefix = "/api", endpoint = "widget/send")]
pub async fn send_chat(org: String, token: String, body: String) -> Result<ChatLine, UiError> {
    use crate::state::{respond, server_state};

    respond(
        async move {
            let state = server_state()?;
            let (widget, id) = session::writing(&state, &org, &token).await?;
            let accepted = ops::widget::send(&state.db, &widget, id, &body).await?;
            state.bell.ring();
            state.doorbells.ring(&id.to_string());
            Ok(ChatLine {
                id: accepted.message_id.to_string(),
                from: "visitor".into(),
                body: body.trim().to_owned(),
                choices: Vec::new(),
            })
        }
        .await,
    )
}

/// The visitor taps an offered time: it is booked and confirmed in the chat (or, if someone else
/// just took it, the next times are offered there). Answers with the visitor's own line.
#[server(prefix = "/api", endpoint = "widget/choose")]
pub async fn choose_time(org: String, token: String, offer: String) -> Result<ChatLine, UiError> {
    use crate::state::{respond, server_state};

    respond(
        async move {
            let state = server_state()?;
            let (widget, id) = session::writing(&state, &org, &token).await?;
            let line = ops::widget::choose(&state.db, state.calendars.as_ref(), &widget, id, &offer).await?;
            state.doorbells.ring(&id.to_string());
            Ok(chat_line(line))
        }
        .await,
    )
}

/// The visitor leaves an email address or phone number, so the conversation can go on after they
/// leave the page.
#[server(prefix = "/api", endpoint = "widget/contact")]
pub async fn leave_contact(org: String, token: String, contact: String) -> Result<ChatContact, UiError> {
    use crate::state::{respond, server_state};

    respond(
        async move {
            let state = server_state()?;
            let (widget, id) = session::writing(&state, &org, &token).await?;
            Ok(chat_contact(ops::widget::leave_contact(&state.db, &widget, id, &contact).await?))
        }
        .await,
    )
}

#[component]
pub fn WidgetPage() -> impl IntoView {
    let params = use_params_map();
    let org = params.read_untracked().get("org").unwrap_or_default();
    let front = Resource::new(move || (), {
        let org = org.clone();
        move |()| get_chat_front(org.clone())
    });
    view! {
        <Title text="Chat" />
        <Suspense fallback=|| view! { <p class="p-4 text-sm text-slate-500">"Opening the chat…"</p> }>
            {move || {
                let org = org.clone();
                Suspend::new(async move {
                    match front.await {
                        Ok(front) => view! { <ChatWindow org front /> }.into_any(),
                        Err(UiError::NotFound) => view! {
                            <p class="p-4 text-sm text-slate-600" data-testid="chat-unavailable">
                                "This chat is not available right now. Please contact the business directly."
                            </p>
                        }.into_any(),
                        Err(e) => view! { <p class="p-4 text-sm text-rose-700" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

/// The conversation as the window holds it.
#[derive(Clone, Copy)]
struct Chat {
    org: StoredValue<String>,
    token: RwSignal<Option<String>>,
    lines: RwSignal<Vec<ChatLine>>,
    /// "Typing…", "Checking the schedule…": what the squad is doing, while it works.
    status: RwSignal<Option<String>>,
    person_joined: RwSignal<bool>,
    /// A problem to show above the box (a refused message, a lost connection).
    problem: RwSignal<Option<String>>,
    /// The squad's reply while it is being written: its draft's id and the text so far.
    writing: RwSignal<Option<(String, String)>>,
    /// Drafts that ended (their message arrived, or they were discarded): late pieces are ignored.
    ended: StoredValue<Vec<String>>,
    /// How the visitor can be reached after leaving, once they said.
    contact: RwSignal<Option<ChatContact>>,
}

/// A piece of a reply being written: `text` goes at character `at` of draft `draft`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatDelta {
    pub draft: String,
    pub at: usize,
    pub text: String,
}

impl Chat {
    /// Adds lines not shown yet (the stream may repeat one after a reconnect). The squad's or a
    /// person's line replaces the reply being written.
    fn add(&self, new: ChatLine) {
        if new.from != "visitor" {
            self.end_draft(None);
        }
        self.lines.update(|lines| {
            if !lines.iter().any(|l| l.id == new.id) {
                lines.push(new);
            }
        });
    }

    /// Whether the visitor's line is still the newest: the answer may already have come over the
    /// stream before the request that sent the line returned, and then there is nothing to wait for.
    fn awaits_answer(&self) -> bool {
        self.lines.with_untracked(|lines| lines.last().is_some_and(|l| l.from == "visitor"))
    }

    /// The reply being written grows by `delta` (only at its end: a piece already shown is not
    /// shown twice).
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    fn write(&self, delta: ChatDelta) {
        if self.ended.with_value(|ended| ended.contains(&delta.draft)) {
            return;
        }
        self.writing.update(|writing| match writing {
            Some((id, text)) if *id == delta.draft => {
                let have = text.chars().count();
                if delta.at <= have {
                    text.extend(delta.text.chars().skip(have - delta.at));
                }
            }
            _ if delta.at == 0 => *writing = Some((delta.draft, delta.text)),
            _ => {}
        });
    }

    /// The reply being written ends (`draft`, or whichever it is).
    fn end_draft(&self, draft: Option<&str>) {
        let ended = self.writing.try_update(|writing| match writing {
            Some((id, _)) if draft.is_none_or(|d| d == id) => writing.take().map(|(id, _)| id),
            _ => None,
        });
        if let Some(id) = ended.flatten() {
            self.ended.update_value(|ended| ended.push(id));
        }
    }
}

#[component]
fn ChatWindow(org: String, front: ChatFront) -> impl IntoView {
    let chat = Chat {
        org: StoredValue::new(org),
        token: RwSignal::new(None),
        lines: RwSignal::new(Vec::new()),
        status: RwSignal::new(None),
        person_joined: RwSignal::new(false),
        problem: RwSignal::new(None),
        writing: RwSignal::new(None),
        ended: StoredValue::new(Vec::new()),
        contact: RwSignal::new(None),
    };
    let draft = RwSignal::new(String::new());
    let sending = RwSignal::new(false);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| browser::open(chat));
    // The newest line, the reply being written and the times offered stay in view.
    let list = NodeRef::<leptos::html::Ol>::new();
    Effect::new(move |_| {
        chat.lines.track();
        chat.writing.track();
        chat.status.track();
        if let Some(list) = list.get() {
            request_animation_frame(move || list.set_scroll_top(list.scroll_height()));
        }
    });
    let send = move |_| {
        let body = draft.get_untracked();
        if body.trim().is_empty() || sending.get_untracked() {
            return;
        }
        let Some(token) = chat.token.get_untracked() else { return };
        sending.set(true);
        chat.problem.set(None);
        leptos::task::spawn_local(async move {
            match send_chat(chat.org.get_value(), token, body).await {
                Ok(line) => {
                    chat.add(line);
                    draft.set(String::new());
                    // The squad starts on it at once; a person answers in their own time.
                    if !chat.person_joined.get_untracked() && chat.awaits_answer() {
                        chat.status.set(Some("Typing…".into()));
                    }
                }
                Err(e) => chat.problem.set(Some(e.to_string())),
            }
            sending.set(false);
        });
    };
    let ChatFront { business, greeting, accent_color } = front;
    // The accent is a checked `#rrggbb`; it reaches the page as a CSS variable in a style element
    // the CSP lets through by its nonce.
    let accent = format!(":root{{--accent:{accent_color}}}");
    let nonce = leptos::nonce::use_nonce();
    view! {
        <style nonce=nonce>{accent}</style>
        <div class="flex h-dvh flex-col bg-white text-slate-900">
            <header class="flex items-center justify-between gap-2 bg-[var(--accent)] px-4 py-3 text-white">
                <div class="min-w-0">
                    <p class="truncate font-semibold" data-testid="chat-business">{business}</p>
                    {move || if chat.person_joined.get() {
                        view! { <p class="text-xs opacity-90" data-testid="person-joined">"A person from the team has joined the chat"</p> }.into_any()
                    } else {
                        view! { <p class="text-xs opacity-90">"We usually answer in seconds"</p> }.into_any()
                    }}
                </div>
                <button type="button" class="rounded px-2 py-1 text-xl leading-none hover:bg-white/20" aria-label="Close the chat"
                    data-testid="chat-close" on:click=move |_| close_frame()>"×"</button>
            </header>
            <ol node_ref=list class="flex-1 space-y-2 overflow-y-auto p-3" data-testid="chat-lines" aria-live="polite">
                <li class="max-w-[85%] rounded-2xl rounded-bl-sm bg-slate-100 px-3 py-2 text-sm">{greeting}</li>
                <For each=move || chat.lines.get() key=|line| line.id.clone() let:line>
                    <ChatBubble line />
                </For>
                {move || offered_times(chat)}
                {move || chat.writing.get().map(|(_, text)| view! {
                    <li class="flex flex-col" data-testid="chat-draft">
                        <p class="max-w-[85%] whitespace-pre-line rounded-2xl rounded-bl-sm bg-slate-100 px-3 py-2 text-sm">
                            {text}<span class="ml-0.5 inline-block animate-pulse" aria-hidden="true">"▍"</span>
                        </p>
                    </li>
                })}
                {move || chat.status.get().filter(|_| chat.writing.with(Option::is_none)).map(|status| view! {
                    <li class="text-xs italic text-slate-500" data-testid="chat-status">{status}</li>
                })}
            </ol>
            {move || chat.problem.get().map(|p| view! {
                <p class="mx-3 mb-2 rounded bg-rose-50 px-3 py-2 text-sm text-rose-700" role="alert">{p}</p>
            })}
            <ReachMeLater chat />
            <form class="flex gap-2 border-t border-slate-200 p-3" on:submit=move |ev| { ev.prevent_default(); send(()); }>
                <label for="chat-input" class="sr-only">"Your message"</label>
                <textarea id="chat-input" rows="1" maxlength="2000" data-testid="chat-input"
                    class="min-h-11 flex-1 resize-none rounded-lg border border-slate-300 px-3 py-2 text-base focus:border-slate-500 focus:outline-none"
                    placeholder="Type your message…"
                    prop:value=move || draft.get()
                    on:input=move |ev| draft.set(event_target_value(&ev))
                    on:keydown=move |ev| {
                        if ev.key() == "Enter" && !ev.shift_key() {
                            ev.prevent_default();
                            send(());
                        }
                    }></textarea>
                <button type="submit" data-testid="chat-send"
                    class="rounded-lg bg-[var(--accent)] px-4 font-semibold text-white disabled:opacity-60"
                    disabled=move || sending.get() || chat.token.get().is_none()>"Send"</button>
            </form>
        </div>
    }
}

/// Once the visitor has written, a way to leave an email address or number for later; what was
/// left, and what will be done with it, afterwards.
#[component]
fn ReachMeLater(chat: Chat) -> impl IntoView {
    let open = RwSignal::new(false);
    let value = RwSignal::new(String::new());
    let saving = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    let save = move || {
        let Some(token) = chat.token.get_untracked() else { return };
        if saving.get_untracked() {
            return;
        }
        saving.set(true);
        problem.set(None);
        leptos::task::spawn_local(async move {
            match leave_contact(chat.org.get_value(), token, value.get_untracked()).await {
                Ok(left) => {
                    chat.contact.set(Some(left));
                    open.set(false);
                }
                Err(e) => problem.set(Some(e.to_string())),
            }
            saving.set(false);
        });
    };
    let has_written = move || chat.lines.with(|lines| lines.iter().any(|l| l.from == "visitor"));
    move || {
        if !has_written() {
            return None;
        }
        Some(if open.get() {
            view! {
                <form class="mx-3 mb-2 space-y-1.5 rounded-lg bg-slate-50 p-2 text-sm" data-testid="chat-contact-form"
                    on:submit=move |ev| { ev.prevent_default(); save(); }>
                    <label for="chat-contact" class="block text-slate-700">"Your email or phone number"</label>
                    <div class="flex gap-2">
                        <input id="chat-contact" type="text" inputmode="email" autocomplete="email" maxlength="254"
                            data-testid="chat-contact"
                            class="min-h-11 min-w-0 flex-1 rounded-lg border border-slate-300 px-3 py-2 text-base focus:border-slate-500 focus:outline-none"
                            prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev)) />
                        <button type="submit" data-testid="chat-contact-save"
                            class="rounded-lg bg-[var(--accent)] px-3 font-semibold text-white disabled:opacity-60"
                            disabled=move || saving.get()>"Save"</button>
                    </div>
                    {move || problem.get().map(|p| view! { <p class="text-rose-700" role="alert">{p}</p> })}
                </form>
            }
            .into_any()
        } else {
            let said = chat.contact.get().map(|c| c.words());
            let label = if said.is_some() { "Change" } else { "Leave your email or number so we can reach you later" };
            view! {
                <p class="mx-3 mb-2 text-xs text-slate-600" data-testid="chat-contact-note">
                    {said.map(|s| view! { <span data-testid="chat-contact-left">{s}" "</span> })}
                    <button type="button" class="font-medium text-[var(--accent)] underline" data-testid="chat-contact-open"
                        on:click=move |_| open.set(true)>{label}</button>
                </p>
            }
            .into_any()
        })
    }
}

/// The times the newest line offers, as buttons; gone once anything follows it.
fn offered_times(chat: Chat) -> Option<impl IntoView> {
    let choices = chat.lines.with(|lines| lines.last().map(|l| l.choices.clone())).unwrap_or_default();
    if choices.is_empty() || chat.person_joined.get() {
        return None;
    }
    let picking = RwSignal::new(false);
    let pick = move |offer: String| {
        let Some(token) = chat.token.get_untracked() else { return };
        if picking.get_untracked() {
            return;
        }
        picking.set(true);
        chat.problem.set(None);
        leptos::task::spawn_local(async move {
            match choose_time(chat.org.get_value(), token, offer).await {
                Ok(line) => {
                    chat.add(line);
                    if chat.awaits_answer() {
                        chat.status.set(Some("Booking your visit…".into()));
                    }
                }
                Err(e) => chat.problem.set(Some(e.to_string())),
            }
            picking.set(false);
        });
    };
    Some(view! {
        <li class="flex flex-wrap gap-2" data-testid="chat-times">
            {choices.into_iter().map(|choice| {
                let id = choice.id.clone();
                view! {
                    <button type="button" data-testid="chat-time"
                        class="min-h-11 rounded-full border border-[var(--accent)] px-3 py-1.5 text-sm font-medium text-[var(--accent)] hover:bg-slate-50 disabled:opacity-60"
                        disabled=move || picking.get()
                        on:click=move |_| pick(id.clone())>{choice.label}</button>
                }
            }).collect_view()}
        </li>
    })
}

#[component]
fn ChatBubble(line: ChatLine) -> impl IntoView {
    let mine = line.from == "visitor";
    let who = match line.from.as_str() {
        "person" => Some("Team member"),
        _ => None,
    };
    view! {
        <li class="flex flex-col" class=("items-end", mine) data-testid="chat-line" data-from=line.from.clone()>
            {who.map(|who| view! { <span class="mb-0.5 text-xs text-slate-500">{who}</span> })}
            <p class="max-w-[85%] whitespace-pre-line rounded-2xl px-3 py-2 text-sm"
                class=("bg-[var(--accent)]", mine) class=("text-white", mine) class=("rounded-br-sm", mine)
                class=("bg-slate-100", !mine) class=("rounded-bl-sm", !mine)>{line.body}</p>
        </li>
    }
}

/// Asks the page around the frame to close it (the loader listens for this, from our origin only).
fn close_frame() {
    #[cfg(feature = "hydrate")]
    browser::close();
}

#[cfg(feature = "hydrate")]
mod browser {
    //! In a frame on the shop's site, the session token is kept by the loader on that site (a
    //! browser may deny a third-party frame any storage): the window asks for it when it opens
    //! and hands back each fresh one. Opened on its own, the window keeps it itself.

    use leptos::prelude::*;
    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;

    use super::{start_chat, Chat, ChatDelta, ChatLine};

    #[derive(serde::Serialize, serde::Deserialize)]
    struct Envelope {
        #[serde(rename = "type")]
        kind: String,
        token: Option<String>,
    }

    /// The loader's page, when the window is in its frame.
    fn parent() -> Option<web_sys::Window> {
        let window = web_sys::window()?;
        let parent = window.parent().ok()??;
        (!js_sys::Object::is(&window, &parent)).then_some(parent)
    }

    fn own_storage() -> Option<web_sys::Storage> {
        web_sys::window()?.local_storage().ok()?
    }

    fn storage_key(org: &str) -> String {
        format!("opsquad.chat.{org}")
    }

    pub fn close() {
        if let Some(parent) = parent() {
            let _ = parent.post_message(&JsValue::from_str("opsquad:close"), "*");
        }
    }

    /// Starts or resumes the session, shows the conversation so far, then follows its events.
    pub fn open(chat: Chat) {
        let org = chat.org.get_value();
        let Some(parent) = parent() else {
            let token = own_storage().and_then(|s| s.get_item(&storage_key(&org)).ok().flatten());
            start(chat, token, None);
            return;
        };
        let started = StoredValue::new(false);
        let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
            let Some(envelope) = event.data().as_string().and_then(|d| serde_json::from_str::<Envelope>(&d).ok())
            else {
                return;
            };
            if envelope.kind == "opsquad:token" && !started.get_value() {
                started.set_value(true);
                start(chat, envelope.token, Some(event.origin()));
            }
        });
        if let Some(window) = web_sys::window() {
            let _ = window.add_event_listener_with_callback("message", on_message.as_ref().unchecked_ref());
        }
        on_message.forget();
        let _ = parent.post_message(&JsValue::from_str("opsquad:ready"), "*");
        // Framed by something other than the loader: no token will come; start afresh.
        set_timeout(
            move || {
                if !started.get_value() {
                    started.set_value(true);
                    start(chat, None, None);
                }
            },
            std::time::Duration::from_millis(1500),
        );
    }

    /// Keeps `token` where the next visit finds it: with the loader's page (`host`), else here.
    fn keep(org: &str, token: &str, host: Option<&str>) {
        match (host, parent()) {
            (Some(host), Some(parent)) => {
                let envelope = Envelope { kind: "opsquad:store".into(), token: Some(token.to_owned()) };
                if let Ok(text) = serde_json::to_string(&envelope) {
                    let _ = parent.post_message(&JsValue::from_str(&text), host);
                }
            }
            _ => {
                if let Some(storage) = own_storage() {
                    let _ = storage.set_item(&storage_key(org), token);
                }
            }
        }
    }

    fn start(chat: Chat, token: Option<String>, host: Option<String>) {
        leptos::task::spawn_local(async move {
            let org = chat.org.get_value();
            match start_chat(org.clone(), token).await {
                Ok(start) => {
                    keep(&org, &start.token, host.as_deref());
                    let after = start.lines.last().map(|l| l.id.clone());
                    chat.lines.set(start.lines);
                    chat.person_joined.set(start.person_joined);
                    chat.contact.set(start.contact);
                    chat.token.set(Some(start.token.clone()));
                    follow(chat, &org, &start.token, after.as_deref());
                }
                Err(e) => chat.problem.set(Some(e.to_string())),
            }
        });
    }

    #[derive(serde::Deserialize)]
    struct Status {
        text: Option<String>,
        person_joined: bool,
    }

    fn follow(chat: Chat, org: &str, token: &str, after: Option<&str>) {
        let after = after.map(|id| format!("&after={id}")).unwrap_or_default();
        let url = format!("/widget/{org}/events?token={token}{after}");
        let Ok(source) = web_sys::EventSource::new(&url) else {
            chat.problem.set(Some("We couldn't connect the chat. Reload to try again.".into()));
            return;
        };
        let on_line = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
            if let Some(line) = event.data().as_string().and_then(|d| serde_json::from_str::<ChatLine>(&d).ok()) {
                if line.from != "visitor" {
                    chat.status.set(None);
                }
                chat.add(line);
            }
        });
        let on_status = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
            if let Some(status) = event.data().as_string().and_then(|d| serde_json::from_str::<Status>(&d).ok()) {
                chat.status.set(status.text);
                chat.person_joined.set(status.person_joined);
            }
        });
        let on_delta = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
            if let Some(delta) = event.data().as_string().and_then(|d| serde_json::from_str::<ChatDelta>(&d).ok()) {
                chat.write(delta);
            }
        });
        let on_discard = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
            #[derive(serde::Deserialize)]
            struct Discard {
                draft: String,
            }
            if let Some(discard) = event.data().as_string().and_then(|d| serde_json::from_str::<Discard>(&d).ok()) {
                chat.end_draft(Some(&discard.draft));
            }
        });
        let _ = source.add_event_listener_with_callback("line", on_line.as_ref().unchecked_ref());
        let _ = source.add_event_listener_with_callback("status", on_status.as_ref().unchecked_ref());
        let _ = source.add_event_listener_with_callback("delta", on_delta.as_ref().unchecked_ref());
        let _ = source.add_event_listener_with_callback("discard", on_discard.as_ref().unchecked_ref());
        // The source and its handlers live as long as the window.
        on_line.forget();
        on_status.forget();
        on_delta.forget();
        on_discard.forget();
        std::mem::forget(source);
    }
}
