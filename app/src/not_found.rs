use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::components::PublicNav;

#[component]
pub fn NotFoundPage() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Page not found" />
        <PublicNav />
        <main class="mx-auto max-w-xl px-4 py-20 text-center">
            <p class="text-sm font-semibold text-indigo-700">"404"</p>
            <h1 class="mt-2 text-3xl font-bold tracking-tight">"We couldn't find that page"</h1>
            <p class="mt-3 text-slate-600">"The link may be old or mistyped."</p>
            <A href="/" attr:class="mt-6 inline-block rounded-lg bg-indigo-600 px-4 py-2 font-medium text-white hover:bg-indigo-500">"Back to the home page"</A>
        </main>
    }
}
