"""Google, as far as connecting Gmail and technicians' calendars goes, on 127.0.0.1: myworld's Gmail
and Calendar REST APIs (under /gw/gmail.googleapis.com/... and /gw/www.googleapis.com/calendar/v3/...)
plus what myworld lacks — the sign-in page, a token endpoint that
checks the PKCE verifier and the redirect address, `users.watch`, and Google's signing keys for
push tokens (the test's own key, read from a JWKS file).

Tests drive the world through /peer/...: make a mailbox or a calendar, withdraw its grant, set how long access
tokens last, and read what the token endpoint and `watch` were asked.

usage: python gmail_peer.py PORT JWKS_FILE CLIENT_ID CLIENT_SECRET
"""

import base64
import hashlib
import json
import secrets
import sys
import threading
import urllib.parse

import uvicorn
from fastapi import Body, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.routing import APIRoute
from myworld.api.http import mint
from myworld.host import Host, HostConfig, create_app

port, jwks_file, client_id, client_secret = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
host = Host(HostConfig())
app = create_app(host)
lock = threading.Lock()
mailboxes = {}  # address -> instance id
calendars = {}  # address -> instance id
sign_ins = {}  # state -> what the app asked for
codes = {}  # code -> sign-in, instance
refresh_tokens = {}  # refresh token -> instance
settings = {"expires_in": 3599}
calls = []


def b64url(data):
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def mailbox(address):
    with lock:
        if address not in mailboxes:
            seed = {"user": {"email": address, "name": address.split("@")[0].title()}, "labels": [], "emails": []}
            mailboxes[address] = host.create("gmail", seed).id
        return mailboxes[address]


def calendar(address):
    """The Google calendar of `address`, on the shop's clocks."""
    with lock:
        if address not in calendars:
            seed = {"user": {"email": address, "name": address.split("@")[0].title()}, "timeZone": "America/Chicago",
                    "calendars": [], "events": []}
            calendars[address] = host.create("calendar", seed).id
        return calendars[address]


def first(routes):
    """Registers routes ahead of myworld's catch-all /gw/{target}/{path}."""
    ours = [r for r in app.router.routes if isinstance(r, APIRoute) and r.path in routes]
    for r in ours:
        app.router.routes.remove(r)
    app.router.routes[0:0] = ours


@app.get("/o/oauth2/v2/auth")
def authorize(request: Request):
    q = dict(request.query_params)
    sign_ins[q.get("state", "")] = q
    calls.append({"kind": "authorize", **q})
    return HTMLResponse(
        "<!doctype html><title>Sign in - Google Accounts</title><h1>Sign in to continue to Opsquad</h1>"
        "<form method=post action=/o/oauth2/approve>"
        f"<input type=hidden name=state value=\"{q.get('state', '')}\">"
        "<label>Email <input name=address type=email></label>"
        + ("<p>Opsquad wants to see when you are busy and add the visits booked for you to your calendar.</p>"
           if "calendar" in q.get("scope", "") else "<p>Opsquad wants to read and send email on your behalf.</p>") +
        "<button name=answer value=allow>Allow</button> <button name=answer value=deny>Cancel</button></form>")


@app.post("/o/oauth2/approve")
async def approve(request: Request):
    form = dict(urllib.parse.parse_qsl((await request.body()).decode()))
    asked = sign_ins.pop(form.get("state", ""), None)
    if asked is None:
        return JSONResponse({"error": "unknown sign-in"}, status_code=400)
    back = asked["redirect_uri"]
    if form.get("answer") == "deny":
        return RedirectResponse(f"{back}?error=access_denied&state={urllib.parse.quote(asked['state'])}", 302)
    code = "4/" + secrets.token_urlsafe(24)
    wanted = calendar if "calendar" in asked.get("scope", "") else mailbox
    codes[code] = {"asked": asked, "instance": wanted(form["address"])}
    return RedirectResponse(f"{back}?code={urllib.parse.quote(code)}&state={urllib.parse.quote(asked['state'])}", 302)


@app.post("/token")
async def token(request: Request):
    form = dict(urllib.parse.parse_qsl((await request.body()).decode()))
    grant = form.get("grant_type")
    calls.append({"kind": "token", "grant_type": grant, "has_verifier": "code_verifier" in form})
    if form.get("client_id") != client_id or form.get("client_secret") != client_secret:
        return JSONResponse({"error": "invalid_client", "error_description": "The OAuth client was not found."}, 401)
    if grant == "authorization_code":
        found = codes.pop(form.get("code", ""), None)
        if found is None:
            return JSONResponse({"error": "invalid_grant", "error_description": "Malformed auth code."}, 400)
        asked = found["asked"]
        verifier = form.get("code_verifier", "")
        if b64url(hashlib.sha256(verifier.encode()).digest()) != asked.get("code_challenge"):
            return JSONResponse({"error": "invalid_grant", "error_description": "Invalid code verifier."}, 400)
        if form.get("redirect_uri") != asked.get("redirect_uri"):
            return JSONResponse({"error": "redirect_uri_mismatch", "error_description": "Bad Request"}, 400)
        refresh = "1//" + secrets.token_urlsafe(32)
        refresh_tokens[refresh] = found["instance"]
        instance = found["instance"]
    elif grant == "refresh_token":
        instance = refresh_tokens.get(form.get("refresh_token", ""))
        if instance is None or instance not in host.instances:
            return JSONResponse({"error": "invalid_grant", "error_description": "Token has been expired or revoked."}, 400)
        refresh = None
    else:
        return JSONResponse({"error": "unsupported_grant_type"}, 400)
    out = {"access_token": mint(host.gateway_secret, instance=instance), "expires_in": settings["expires_in"],
           "scope": asked["scope"] if grant == "authorization_code" else "", "token_type": "Bearer"}
    if refresh:
        out["refresh_token"] = refresh
    return out


@app.post("/gw/gmail.googleapis.com/gmail/v1/users/me/watch")
async def watch(request: Request):
    body = await request.json()
    calls.append({"kind": "watch", "topicName": body.get("topicName"), "labelIds": body.get("labelIds")})
    return {"historyId": "1000", "expiration": "4102444800000"}


@app.get("/oauth2/v3/certs")
def certs():
    with open(jwks_file) as f:
        return json.load(f)


@app.post("/peer/mailboxes")
def make_mailbox(body: dict = Body(...)):
    instance = mailbox(body["address"])
    return {"instance": instance, "token": mint(host.gateway_secret, instance=instance)}


@app.post("/peer/calendars")
def make_calendar(body: dict = Body(...)):
    instance = calendar(body["address"])
    return {"instance": instance, "token": mint(host.gateway_secret, instance=instance)}


@app.post("/peer/revoke")
def revoke(body: dict = Body(...)):
    with lock:
        instance = (calendars if body.get("calendar") else mailboxes).pop(body["address"], None)
    if instance:
        host.delete(instance)
    return {"revoked": bool(instance)}


@app.post("/peer/settings")
def set_settings(body: dict = Body(...)):
    settings.update(body)
    return settings


@app.get("/peer/calls")
def list_calls():
    return {"calls": calls}


first({"/gw/gmail.googleapis.com/gmail/v1/users/me/watch"})
uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
