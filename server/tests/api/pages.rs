use crate::helpers::TestApp;
use crate::on_both_backends;

on_both_backends!(pages_carry_security_headers_and_a_matching_nonce, unknown_pages_are_404);

async fn pages_carry_security_headers_and_a_matching_nonce(app: TestApp) {
    let response = app.client.get(app.url("/")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    let csp = headers["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(csp.contains("object-src 'none'"), "{csp}");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["referrer-policy"], "strict-origin-when-cross-origin");
    let nonce = csp.split("'nonce-").nth(1).and_then(|rest| rest.split('\'').next()).unwrap();
    let html = response.text().await.unwrap();
    assert!(html.contains(&format!(r#"nonce="{nonce}""#)), "the hydration script carries this response's nonce");

    let second = app.client.get(app.url("/")).send().await.unwrap();
    let second_csp = second.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert_ne!(csp, second_csp, "a fresh nonce per response");
}

async fn unknown_pages_are_404(app: TestApp) {
    let response = app.client.get(app.url("/definitely/not/here")).send().await.unwrap();
    assert_eq!(response.status(), 404);
    assert!(response.text().await.unwrap().contains("find that page"));
}
