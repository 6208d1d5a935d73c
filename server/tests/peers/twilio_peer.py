"""Twilio, as far as a shop's texting goes, on 127.0.0.1: one account with one phone number.

- The REST API under /2010-04-01/Accounts/{AccountSid}/ with HTTP basic auth (Account SID and
  Auth Token): the account (.json), its numbers (IncomingPhoneNumbers.json?PhoneNumber=), and
  Messages.json to send a text (form To, From, Body, StatusCallback) and Messages/{sid}.json to
  read one back, in Twilio's 2010-04-01 JSON shapes and error bodies ({"code", "message",
  "status"}): 21211 for an invalid To, 21606 for a From that is not the account's, 21610 for a
  number that texted STOP.
- Messaging Services (messaging.twilio.com's v1 API on the same port): one service, SERVICE_SID,
  whose sender pool holds the number (/v1/Services/{sid}/PhoneNumbers); Messages.json takes its
  MessagingServiceSid in place of From and sends from the pool.
- Status callbacks as Twilio sends them: a form POST to each text's StatusCallback (queued is
  answered in the response; then sent, then delivered or undelivered with ErrorCode 30003), each
  signed with X-Twilio-Signature (HMAC-SHA1 of the URL and the sorted fields, with the Auth
  Token).
- A customer's text to the shop's number: POST /peer/text {"from", "body"} delivers it, signed, to
  the SMS webhook URL and answers with what that returned (status and body, TwiML).
- A customer's call: POST /peer/call {"from", "answer"} calls the voice webhook and follows its
  TwiML (a <Dial> rings; its action URL then hears the DialCallStatus given as `answer`).
- A proxy in front of the app: /peer/forward {"public", "actual"} sends what is addressed to the
  app's public URL to where it really listens, signed with the public URL as Twilio would.

Tests read the world through /peer/...: the texts sent (/peer/texts), and make a number
undeliverable (/peer/undeliverable {"number"}) or wait for pending callbacks (/peer/settled).

usage: python twilio_peer.py PORT ACCOUNT_SID AUTH_TOKEN NUMBER [SMS_WEBHOOK_URL]
"""

import base64
import hashlib
import re
import hmac
import secrets
import sys
import threading
import time
import urllib.parse
import urllib.request
from email.utils import formatdate

import uvicorn
from fastapi import Body, FastAPI, Request
from fastapi.responses import JSONResponse

port, account_sid, auth_token, number = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
sms_webhook = sys.argv[5] if len(sys.argv) > 5 else None
app = FastAPI()
lock = threading.Lock()
texts = {}  # sid -> message object
order = []
opted_out = set()
undeliverable = set()
pending = []  # callbacks still to deliver
forward = {}  # public base URL -> where it is really served (a proxy in front of the app)
SERVICE_SID = "MG" + "5e" * 16
GSM = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿"
          "abcdefghijklmnopqrstuvwxyzäöñüà^{}\\[~]|€")


def signature(url, fields):
    signed = url + "".join(k + v for k, v in sorted(fields.items()))
    return base64.b64encode(hmac.new(auth_token.encode(), signed.encode(), hashlib.sha1).digest()).decode()


def post_form(url, fields):
    """POSTs a signed form to `url`, through the proxy `forward` names for it, if any."""
    body = urllib.parse.urlencode(fields).encode()
    actual = url
    with lock:
        for public_base, real_base in forward.items():
            if url.startswith(public_base):
                actual = real_base + url[len(public_base):]
    request = urllib.request.Request(actual, data=body, method="POST", headers={
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": signature(url, fields),
        "User-Agent": "TwilioProxy/1.1"})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except Exception as e:  # noqa: BLE001 - the caller reports whatever went wrong
        return 0, str(e)


def error(status, code, message):
    return JSONResponse({"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}",
                         "status": status}, status_code=status)


def authorized(request, sid):
    given = request.headers.get("authorization", "")
    expected = "Basic " + base64.b64encode(f"{account_sid}:{auth_token}".encode()).decode()
    return sid == account_sid and hmac.compare_digest(given, expected)


def segments(body):
    if all(ch in GSM for ch in body):
        return 1 if len(body) <= 160 else -(-len(body) // 153)
    units = len(body.encode("utf-16-le")) // 2
    return 1 if units <= 70 else -(-units // 67)


def callbacks_forever():
    while True:
        with lock:
            job = pending[0] if pending else None
        if job is None:
            time.sleep(0.05)
            continue
        url, fields = job
        with lock:
            message = texts[fields["MessageSid"]]
            message["status"] = fields["MessageStatus"]
            if fields["MessageStatus"] in ("delivered", "undelivered"):
                # What a US text costs per segment, as Twilio writes a price.
                message["price"] = f"-{0.0079 * int(message['num_segments']):.5f}"
                message["error_code"] = int(fields["ErrorCode"]) if "ErrorCode" in fields else None
        for _ in range(5):
            status, _ = post_form(url, fields)
            if 200 <= status < 300:
                break
            time.sleep(0.3)
        with lock:
            pending.pop(0)


def progress(message):
    """Queues the callbacks that follow a text's creation (caller holds the lock)."""
    callback = message.pop("_status_callback", None)
    if not callback:
        return
    to = message["to"]
    steps = ["sent", "undelivered" if to in undeliverable else "delivered"]
    for step in steps:
        fields = {"AccountSid": account_sid, "ApiVersion": "2010-04-01", "From": message["from"],
                  "MessageSid": message["sid"], "MessageStatus": step, "SmsSid": message["sid"],
                  "SmsStatus": step, "To": to}
        if step == "undelivered":
            fields["ErrorCode"] = "30003"
        pending.append((callback, fields))


def public(message):
    return {k: v for k, v in message.items() if not k.startswith("_")}


@app.get("/2010-04-01/Accounts/{sid}.json")
def account(sid: str, request: Request):
    if not authorized(request, sid):
        return error(401, 20003, "Authenticate")
    return {"sid": account_sid, "friendly_name": "Test shop's Twilio", "status": "active", "type": "Full"}


@app.get("/2010-04-01/Accounts/{sid}/IncomingPhoneNumbers.json")
def numbers(sid: str, request: Request):
    if not authorized(request, sid):
        return error(401, 20003, "Authenticate")
    wanted = request.query_params.get("PhoneNumber")
    mine = [{"sid": "PN" + "0" * 32, "phone_number": number, "friendly_name": number,
             "capabilities": {"sms": True, "voice": True, "mms": True}}]
    return {"incoming_phone_numbers": [n for n in mine if wanted in (None, n["phone_number"])],
            "page": 0, "page_size": 50}


@app.post("/2010-04-01/Accounts/{sid}/Messages.json")
async def send(sid: str, request: Request):
    if not authorized(request, sid):
        return error(401, 20003, "Authenticate")
    form = dict(urllib.parse.parse_qsl((await request.body()).decode(), keep_blank_values=True))
    to, sender, body = form.get("To", ""), form.get("From", ""), form.get("Body", "")
    service = form.get("MessagingServiceSid")
    if service is not None:
        if service != SERVICE_SID:
            return error(400, 21705, f"The Messaging Service Sid {service} is invalid.")
        sender = number  # the pool's one number
    if not (to.startswith("+") and to[1:].isdigit() and 8 <= len(to) <= 16):
        return error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
    if sender != number:
        return error(400, 21606, f"The From phone number {sender} is not a valid, SMS-capable inbound phone number "
                                 "or short code for your account.")
    if not body:
        return error(400, 21602, "Message body is required.")
    with lock:
        if to in opted_out:
            return error(400, 21610, "Attempt to send to unsubscribed recipient")
        msid = "SM" + secrets.token_hex(16)
        message = {"sid": msid, "account_sid": account_sid, "to": to, "from": sender, "body": body,
                   "status": "queued", "num_segments": str(segments(body)), "num_media": "0",
                   "direction": "outbound-api", "api_version": "2010-04-01", "price": None, "price_unit": "USD",
                   "error_code": None, "error_message": None, "date_created": formatdate(usegmt=True),
                   "uri": f"/2010-04-01/Accounts/{account_sid}/Messages/{msid}.json",
                   "messaging_service_sid": service, "_status_callback": form.get("StatusCallback")}
        texts[msid] = message
        order.append(msid)
        answer = public(message)
        progress(message)
    return JSONResponse(answer, status_code=201)


@app.get("/v1/Services/{sid}/PhoneNumbers")
def service_numbers(sid: str, request: Request):
    if not authorized(request, account_sid):
        return error(401, 20003, "Authenticate")
    if sid != SERVICE_SID:
        return error(404, 20404, f"The requested resource /Services/{sid}/PhoneNumbers was not found")
    return {"phone_numbers": [{"sid": "PN" + "0" * 32, "account_sid": account_sid, "service_sid": sid,
                               "phone_number": number, "country_code": "US", "capabilities": ["SMS", "Voice"]}],
            "meta": {"page": 0, "page_size": 50, "key": "phone_numbers"}}


@app.get("/2010-04-01/Accounts/{sid}/Messages/{msid}.json")
def text(sid: str, msid: str, request: Request):
    if not authorized(request, sid):
        return error(401, 20003, "Authenticate")
    with lock:
        message = texts.get(msid)
        if message is None:
            return error(404, 20404, f"The requested resource /2010-04-01/Accounts/{sid}/Messages/{msid}.json was not found")
        return public(message)


@app.post("/peer/text")
def customer_texts(body: dict = Body(...)):
    sender, words = body["from"], body["body"]
    msid = body.get("sid") or "SM" + secrets.token_hex(16)
    with lock:
        keyword = words.strip().upper()
        if keyword in ("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"):
            opted_out.add(sender)
        elif keyword in ("START", "UNSTOP", "YES"):
            opted_out.discard(sender)
    fields = {"AccountSid": account_sid, "ApiVersion": "2010-04-01", "Body": words, "From": sender,
              "FromCountry": "US", "MessageSid": msid, "NumMedia": "0", "NumSegments": "1", "SmsMessageSid": msid,
              "SmsSid": msid, "SmsStatus": "received", "To": number, "ToCountry": "US"}
    url = body.get("url") or sms_webhook
    status, answer = post_form(url, fields)
    return {"status": status, "body": answer, "sid": msid}


@app.post("/peer/forward")
def set_forward(body: dict = Body(...)):
    """Calls to `public` (the app's public URL) reach `actual`, signed as Twilio saw them."""
    with lock:
        forward[body["public"].rstrip("/")] = body["actual"].rstrip("/")
    return {"ok": True}


@app.post("/peer/call")
def customer_calls(body: dict = Body(...)):
    """A customer calls the shop's number: the voice webhook's TwiML is followed as Twilio would
    (a <Dial> rings, then its action URL hears how it went: `answer` is the DialCallStatus)."""
    csid = body.get("sid") or "CA" + secrets.token_hex(16)
    fields = {"AccountSid": account_sid, "ApiVersion": "2010-04-01", "CallSid": csid, "CallStatus": "ringing",
              "Called": number, "Caller": body["from"], "Direction": "inbound", "From": body["from"],
              "FromCountry": "US", "To": number, "ToCountry": "US"}
    voice_url = body.get("url") or sms_webhook.rsplit("/", 1)[0] + "/voice"
    status, twiml = post_form(voice_url, fields)
    answer = {"voice": {"status": status, "body": twiml}, "done": None, "sid": csid}
    dial = re.search(r'<Dial[^>]*action="([^"]+)"[^>]*>\s*<Number>([^<]+)</Number>', twiml)
    if status == 200 and dial:
        answer["rang"] = dial.group(2)
        done = dict(fields, CallStatus="completed" if body.get("answer") == "completed" else "in-progress",
                    DialCallStatus=body.get("answer", "no-answer"),
                    DialCallDuration=str(body.get("duration", 0)))
        done_status, done_twiml = post_form(dial.group(1).replace("&amp;", "&"), done)
        answer["done"] = {"status": done_status, "body": done_twiml}
    return answer


@app.post("/peer/undeliverable")
def make_undeliverable(body: dict = Body(...)):
    with lock:
        undeliverable.add(body["number"])
    return {"ok": True}


@app.get("/peer/texts")
def sent_texts():
    with lock:
        return {"texts": [public(texts[s]) for s in order]}


@app.get("/peer/settled")
def settled():
    with lock:
        return {"pending": len(pending)}


@app.get("/peer/health")
def health():
    return {"ok": True}


threading.Thread(target=callbacks_forever, daemon=True).start()
uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
