"""Stripe, as far as taking card payments for a Connect platform goes, on 127.0.0.1.

PyPI's localstripe speaks a 2017 API version and has neither Checkout Sessions nor Connect OAuth,
so this is a small stand-in with current API shapes (2025 Checkout Session and event objects):

- Connect OAuth for Standard accounts: /oauth/authorize (the page where the owner connects),
  /oauth/token (code -> stripe_user_id, the platform's secret key required), /oauth/deauthorize.
- Checkout Sessions on a connected account (Stripe-Account header): create (with Idempotency-Key
  replay and mismatch detection, as Stripe does), retrieve, expire; a hosted checkout page at
  /c/pay/{id} where the customer types a card (4242 4242 4242 4242 pays, 4000 0000 0000 0002 is
  declined) and is sent back to the success URL.
- Events as Stripe sends them: payment_intent.succeeded and checkout.session.completed on
  payment, checkout.session.expired, charge.refunded, charge.dispute.*, and
  account.application.deauthorized, each signed with the endpoint secret (Stripe-Signature:
  t=..,v1=HMAC-SHA256) and POSTed to the webhook URL when one is set.

Tests drive the world through /peer/...: pay a session without a browser, refund, dispute,
disconnect an account from Stripe's side, read the events made and the API calls received, and
set (or stop) webhook delivery.

usage: python stripe_peer.py PORT SECRET_KEY CLIENT_ID [WEBHOOK_URL WEBHOOK_SECRET]
"""

import hashlib
import hmac
import json
import secrets
import sys
import threading
import time
import urllib.parse
import urllib.request

import uvicorn
from fastapi import Body, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

port, secret_key, client_id = int(sys.argv[1]), sys.argv[2], sys.argv[3]
webhook = {"url": sys.argv[4] if len(sys.argv) > 4 else None,
           "secret": sys.argv[5] if len(sys.argv) > 5 else None,
           "deliver": len(sys.argv) > 5}
base = f"http://127.0.0.1:{port}"
app = FastAPI()
lock = threading.Lock()
sign_ins = {}  # state -> redirect_uri
codes = {}  # code -> account id
accounts = {}  # account id -> {"connected": bool}
sessions = {}  # session id -> (account, session object)
intents = {}  # payment intent id -> (account, payment intent object)
idempotency = {}  # (account, key) -> (request fingerprint, response)
events = []
calls = []
outbox = []
outbox_ready = threading.Condition(lock)
API_VERSION = "2025-09-30.clover"


def new_id(prefix):
    return f"{prefix}_{secrets.token_hex(12)}"


def now():
    return int(time.time())


def error(status, kind, message, code=None):
    body = {"error": {"type": kind, "message": message}}
    if code:
        body["error"]["code"] = code
    return JSONResponse(body, status_code=status)


def signed(payload, secret, at):
    digest = hmac.new(secret.encode(), f"{at}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={at},v1={digest}"


def emit(kind, account, obj):
    """Makes an event (caller holds the lock) and queues its delivery."""
    event = {"id": new_id("evt"), "object": "event", "api_version": API_VERSION, "created": now(),
             "data": {"object": json.loads(json.dumps(obj))}, "livemode": False, "pending_webhooks": 1,
             "request": {"id": None, "idempotency_key": None}, "type": kind, "account": account}
    payload = json.dumps(event)
    events.append({"id": event["id"], "type": kind, "account": account, "payload": payload})
    if webhook["deliver"] and webhook["url"]:
        outbox.append(payload)
        outbox_ready.notify()
    return event


def deliver_forever():
    while True:
        with lock:
            while not outbox:
                outbox_ready.wait()
            payload = outbox.pop(0)
            url, secret = webhook["url"], webhook["secret"]
        request = urllib.request.Request(url, data=payload.encode(), method="POST", headers={
            "Content-Type": "application/json; charset=utf-8",
            "Stripe-Signature": signed(payload, secret, now()),
            "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)"})
        for _ in range(5):
            try:
                urllib.request.urlopen(request, timeout=10).read()
                break
            except Exception:  # noqa: BLE001 - Stripe retries whatever went wrong
                time.sleep(0.5)


async def form_of(request):
    """A form-encoded body, as Stripe's API and a browser's form post send it."""
    return dict(urllib.parse.parse_qsl((await request.body()).decode(), keep_blank_values=True))


def platform_key(request):
    given = request.headers.get("authorization", "")
    return given in (f"Bearer {secret_key}",)


def connected_account(request):
    account = request.headers.get("stripe-account")
    if account and accounts.get(account, {}).get("connected"):
        return account
    return None


def record(request, kind, **extra):
    calls.append({"kind": kind, "method": request.method, "path": request.url.path,
                  "account": request.headers.get("stripe-account"),
                  "idempotency_key": request.headers.get("idempotency-key"), **extra})


@app.get("/oauth/authorize", response_class=HTMLResponse)
def authorize(request: Request):
    q = request.query_params
    with lock:
        calls.append({"kind": "authorize", **dict(q)})
        if q.get("client_id") != client_id or q.get("response_type") != "code":
            return HTMLResponse("<h1>Invalid request</h1>", status_code=400)
        sign_ins[q.get("state", "")] = q.get("redirect_uri", "")
    state = q.get("state", "")
    return f"""<!doctype html><html><head><title>Connect with Stripe</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: sans-serif; max-width: 28rem; margin: 3rem auto; padding: 0 1rem">
<h1>Connect your Stripe account</h1><p>Opsquad (test platform) would like to take payments for your business.</p>
<form method="post" action="/oauth/authorize/answer">
<input type="hidden" name="state" value="{state}">
<button name="answer" value="allow">Connect my Stripe account</button>
<button name="answer" value="deny">Cancel</button></form></body></html>"""


@app.post("/oauth/authorize/answer")
async def authorize_answer(request: Request):
    form = await form_of(request)
    state = form.get("state", "")
    with lock:
        redirect_uri = sign_ins.pop(state, None)
        if redirect_uri is None:
            return HTMLResponse("<h1>This sign-in is over</h1>", status_code=400)
        if form.get("answer") != "allow":
            query = {"error": "access_denied", "error_description": "The user denied your request", "state": state}
        else:
            account = form.get("account") or new_id("acct")
            accounts.setdefault(account, {})["connected"] = False
            code = new_id("ac")
            codes[code] = account
            query = {"code": code, "scope": "read_write", "state": state}
    return RedirectResponse(f"{redirect_uri}?{urllib.parse.urlencode(query)}", status_code=302)


@app.post("/oauth/token")
async def token(request: Request):
    form = await form_of(request)
    with lock:
        calls.append({"kind": "token", "grant_type": form.get("grant_type"), "platform_key": platform_key(request)})
        if not platform_key(request):
            return JSONResponse({"error": "invalid_client", "error_description": "No such platform key"}, 401)
        account = codes.pop(form.get("code", ""), None)
        if form.get("grant_type") != "authorization_code" or account is None:
            return JSONResponse({"error": "invalid_grant",
                                 "error_description": f"Authorization code does not exist: {form.get('code')}"}, 400)
        accounts[account]["connected"] = True
    return {"access_token": "sk_test_connected_" + secrets.token_hex(8), "livemode": False,
            "refresh_token": "rt_" + secrets.token_hex(8), "scope": "read_write",
            "stripe_publishable_key": "pk_test_" + secrets.token_hex(8), "stripe_user_id": account,
            "token_type": "bearer"}


def deauthorize_account(account):
    accounts.setdefault(account, {})["connected"] = False
    emit("account.application.deauthorized", account,
         {"id": client_id, "object": "application", "name": "Opsquad (test platform)"})


@app.post("/oauth/deauthorize")
async def deauthorize(request: Request):
    form = await form_of(request)
    account = form.get("stripe_user_id", "")
    with lock:
        calls.append({"kind": "deauthorize", "account": account, "platform_key": platform_key(request)})
        if not platform_key(request) or form.get("client_id") != client_id:
            return JSONResponse({"error": "invalid_client", "error_description": "No such platform"}, 401)
        if not accounts.get(account, {}).get("connected"):
            return JSONResponse({"error": "invalid_client",
                                 "error_description": f"Application is not connected to {account}"}, 400)
        deauthorize_account(account)
    return {"stripe_user_id": account}


def session_object(sid, form, account):
    amount = int(form.get("line_items[0][price_data][unit_amount]", "0")) * int(form.get("line_items[0][quantity]", "1"))
    metadata = {k[len("metadata["):-1]: v for k, v in form.items() if k.startswith("metadata[")}
    created = now()
    return {
        "id": sid, "object": "checkout.session", "adaptive_pricing": None, "after_expiration": None,
        "allow_promotion_codes": None, "amount_subtotal": amount, "amount_total": amount,
        "automatic_tax": {"enabled": False, "liability": None, "provider": None, "status": None},
        "billing_address_collection": None, "cancel_url": form.get("cancel_url"),
        "client_reference_id": form.get("client_reference_id"), "client_secret": None, "consent": None,
        "consent_collection": None, "created": created, "currency": form.get("line_items[0][price_data][currency]"),
        "custom_fields": [], "custom_text": {"after_submit": None, "shipping_address": None, "submit": None,
                                             "terms_of_service_acceptance": None},
        "customer": None, "customer_creation": "if_required", "customer_details": None,
        "customer_email": form.get("customer_email"), "expires_at": created + 24 * 3600, "invoice": None,
        "invoice_creation": None, "livemode": False, "locale": None, "metadata": metadata, "mode": "payment",
        "payment_intent": None, "payment_link": None, "payment_method_collection": "if_required",
        "payment_method_options": {}, "payment_method_types": ["card"], "payment_status": "unpaid",
        "phone_number_collection": {"enabled": False}, "recovered_from": None, "setup_intent": None,
        "shipping_address_collection": None, "shipping_cost": None, "shipping_options": [], "status": "open",
        "submit_type": None, "subscription": None, "success_url": form.get("success_url"),
        "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0}, "ui_mode": "hosted",
        "url": f"{base}/c/pay/{sid}",
        "_intent_metadata": {k[len("payment_intent_data[metadata]["):-1]: v for k, v in form.items()
                             if k.startswith("payment_intent_data[metadata][")},
        "_description": form.get("line_items[0][price_data][product_data][name]", ""),
    }


def public(session):
    return {k: v for k, v in session.items() if not k.startswith("_")}


@app.post("/v1/checkout/sessions")
async def create_session(request: Request):
    form = await form_of(request)
    key = request.headers.get("idempotency-key")
    fingerprint = json.dumps(sorted(form.items()))
    with lock:
        if not platform_key(request):
            record(request, "create_session", outcome="unauthorized")
            return error(401, "invalid_request_error", "Invalid API Key provided")
        account = connected_account(request)
        if account is None:
            record(request, "create_session", outcome="no account")
            return error(403, "invalid_request_error",
                         "The provided key does not have access to account "
                         f"'{request.headers.get('stripe-account')}' (or that account does not exist).")
        if key and (account, key) in idempotency:
            seen, answer = idempotency[(account, key)]
            record(request, "create_session", outcome="replayed")
            if seen != fingerprint:
                return error(400, "idempotency_error",
                             "Keys for idempotent requests can only be used with the same parameters they were "
                             "first used with.")
            return JSONResponse(answer, headers={"Idempotent-Replayed": "true"})
        if form.get("mode") != "payment" or not form.get("line_items[0][price_data][unit_amount]"):
            record(request, "create_session", outcome="invalid")
            return error(400, "invalid_request_error", "line_items and mode=payment are required")
        sid = "cs_test_" + secrets.token_hex(16)
        session = session_object(sid, form, account)
        sessions[sid] = (account, session)
        answer = public(session)
        if key:
            idempotency[(account, key)] = (fingerprint, answer)
        record(request, "create_session", outcome="created", session=sid)
    return answer


def owned_session(request, sid):
    entry = sessions.get(sid)
    if entry is None or entry[0] != request.headers.get("stripe-account") or not platform_key(request):
        return None
    return entry[1]


@app.get("/v1/checkout/sessions/{sid}")
def retrieve_session(sid: str, request: Request):
    with lock:
        record(request, "retrieve_session", session=sid)
        session = owned_session(request, sid)
        if session is None:
            return error(404, "invalid_request_error", f"No such checkout.session: '{sid}'", "resource_missing")
        return public(session)


@app.post("/v1/checkout/sessions/{sid}/expire")
def expire_session(sid: str, request: Request):
    with lock:
        record(request, "expire_session", session=sid)
        session = owned_session(request, sid)
        if session is None:
            return error(404, "invalid_request_error", f"No such checkout.session: '{sid}'", "resource_missing")
        if session["status"] != "open":
            return error(400, "invalid_request_error",
                         f"Only Checkout Sessions with a status in [\"open\"] can be expired. This Checkout "
                         f"Session has a status of \"{session['status']}\".")
        session["status"] = "expired"
        session["url"] = None
        emit("checkout.session.expired", sessions[sid][0], public(session))
        return public(session)


def pay(sid):
    """Completes an open session with a successful card payment (caller holds the lock)."""
    account, session = sessions[sid]
    if session["status"] != "open":
        return None
    pi = new_id("pi")
    charge = new_id("ch")
    intent = {"id": pi, "object": "payment_intent", "amount": session["amount_total"],
              "amount_received": session["amount_total"], "currency": session["currency"], "status": "succeeded",
              "latest_charge": charge, "metadata": session["_intent_metadata"],
              "description": session["_description"], "livemode": False, "created": now()}
    intents[pi] = (account, intent, charge)
    session.update({"status": "complete", "payment_status": "paid", "payment_intent": pi, "url": None,
                    "customer_details": {"email": session["customer_email"], "name": None, "phone": None,
                                         "address": None, "tax_exempt": "none", "tax_ids": []}})
    emit("payment_intent.succeeded", account, intent)
    emit("checkout.session.completed", account, public(session))
    return session


@app.get("/c/pay/{sid}", response_class=HTMLResponse)
def checkout_page(sid: str, declined: int = 0):
    with lock:
        entry = sessions.get(sid)
        if entry is None or entry[1]["status"] != "open":
            return HTMLResponse("<h1>This checkout session is no longer available</h1>", status_code=404)
        session = entry[1]
    amount = f"${session['amount_total'] / 100:,.2f}"
    notice = '<p role="alert" style="color:#b91c1c">Your card was declined.</p>' if declined else ""
    return f"""<!doctype html><html><head><title>Checkout</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: sans-serif; max-width: 28rem; margin: 3rem auto; padding: 0 1rem">
<p>{session['_description']}</p><h1>Pay {amount}</h1>{notice}
<form method="post" action="/c/pay/{sid}">
<label>Email <input name="email" value="{session['customer_email'] or ''}"></label><br>
<label>Card number <input name="card" inputmode="numeric" autocomplete="cc-number"></label><br>
<label>Expiry <input name="exp" placeholder="MM / YY"></label> <label>CVC <input name="cvc"></label><br>
<button type="submit">Pay {amount}</button></form>
<a href="{session['cancel_url']}">Back</a></body></html>"""


@app.post("/c/pay/{sid}")
async def checkout_pay(sid: str, request: Request):
    form = await form_of(request)
    card = "".join(ch for ch in form.get("card", "") if ch.isdigit())
    with lock:
        entry = sessions.get(sid)
        if entry is None or entry[1]["status"] != "open":
            return HTMLResponse("<h1>This checkout session is no longer available</h1>", status_code=404)
        if card != "4242424242424242":
            return RedirectResponse(f"/c/pay/{sid}?declined=1", status_code=303)
        session = pay(sid)
    return RedirectResponse(session["success_url"], status_code=303)


@app.post("/peer/pay")
def peer_pay(body: dict = Body(...)):
    with lock:
        session = pay(body["session"])
        if session is None:
            return JSONResponse({"error": "not open"}, 400)
        return {"payment_intent": session["payment_intent"], "events": [e["id"] for e in events[-2:]]}


@app.post("/peer/refund")
def peer_refund(body: dict = Body(...)):
    with lock:
        account, intent, charge = intents[body["payment_intent"]]
        refunded = min(intent["amount_received"], intent.get("_refunded", 0) + int(body["amount"]))
        intent["_refunded"] = refunded
        event = emit("charge.refunded", account, {
            "id": charge, "object": "charge", "amount": intent["amount"], "amount_captured": intent["amount"],
            "amount_refunded": refunded, "currency": intent["currency"], "payment_intent": intent["id"],
            "refunded": refunded == intent["amount"], "status": "succeeded", "metadata": intent["metadata"]})
        return {"event": event["id"]}


@app.post("/peer/dispute")
def peer_dispute(body: dict = Body(...)):
    with lock:
        account, intent, charge = intents[body["payment_intent"]]
        dispute = intent.setdefault("_dispute", new_id("dp"))
        status = body.get("status", "needs_response")
        kind = "charge.dispute.closed" if status in ("won", "lost") else "charge.dispute.created"
        event = emit(kind, account, {
            "id": dispute, "object": "dispute", "amount": intent["amount"], "charge": charge,
            "currency": intent["currency"], "payment_intent": intent["id"], "reason": "fraudulent",
            "status": status, "created": now(), "evidence_details": {"due_by": now() + 7 * 86400}})
        return {"event": event["id"]}


@app.post("/peer/deauthorize")
def peer_deauthorize(body: dict = Body(...)):
    with lock:
        deauthorize_account(body["account"])
        return {"event": events[-1]["id"]}


@app.post("/peer/webhook")
def peer_webhook(body: dict = Body(...)):
    with lock:
        webhook.update({k: body[k] for k in ("url", "secret", "deliver") if k in body})
        return webhook


@app.get("/peer/events")
def peer_events():
    with lock:
        return {"events": list(events)}


@app.get("/peer/calls")
def peer_calls():
    with lock:
        return {"calls": list(calls)}


@app.get("/peer/health")
def health():
    return {"ok": True}


threading.Thread(target=deliver_forever, daemon=True).start()
uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
