// The phone simulator: the reference authenticator in a browser tab, with WebCrypto.
// Its P-256 key and TOTP secret are kept in localStorage sealed by the PIN (PBKDF2 + AES-GCM):
// the same shape as a real app's keychain item gated by the screen lock.
// Its sentences come with the page, in its language (data-text, tools/simulator/text.py):
// this file holds no words, it fills their {name} fields.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const TEXT = JSON.parse(document.body.dataset.text);
  const say = (text, values) => text.replace(/\{(\w+)\}/g, (field, name) => (name in values ? String(values[name]) : field));
  const STORE = "phone-simulator";
  const SECTIONS = ["enrol", "locked", "home", "request"];
  const enc = new TextEncoder();
  let unlocked = null; // {key: CryptoKey, totp: Uint8Array}
  let shown = null; // the sign-in request on screen, the one the person chose from the list
  let waiting = []; // every sign-in request waiting for this phone, oldest first
  let pollTimer = null;

  const b64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  const unb64url = (text) => Uint8Array.from(atob(text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4)), (c) => c.charCodeAt(0));
  const b64 = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes)));
  const unb64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  const random = (n) => crypto.getRandomValues(new Uint8Array(n));

  function show(id) { for (const s of SECTIONS) $(s).hidden = s !== id; }
  function load() { try { return JSON.parse(localStorage.getItem(STORE)); } catch (e) { return null; } }
  function save(state) { localStorage.setItem(STORE, JSON.stringify(state)); }
  function error(id, text) { $(id).textContent = text || ""; $(id).hidden = !text; }
  const secondsLeft = (signin) => Math.max(0, signin.expires_at - Math.floor(Date.now() / 1000));
  const leftText = (signin) => (secondsLeft(signin) ? say(TEXT.expiresIn, { seconds: secondsLeft(signin) }) : TEXT.expired);
  const whereText = (signin) => say(signin.place ? TEXT.fromPlace : TEXT.fromIp, signin);

  // What happened, said on the home screen after an answer or when the request on screen
  // ended. The focus goes to this message: never to a number, a field or a button, so a
  // stray Enter answers nothing.
  function outcome(text, bad) {
    shown = null;
    $("outcome").textContent = text;
    $("outcome").classList.toggle("bad", !!bad);
    $("outcome").hidden = false;
    show("home");
    $("outcome").focus();
  }

  async function pinKey(pin, salt) {
    const base = await crypto.subtle.importKey("raw", enc.encode(pin), "PBKDF2", false, ["deriveKey"]);
    return crypto.subtle.deriveKey({ name: "PBKDF2", salt, iterations: 200000, hash: "SHA-256" }, base,
      { name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
  }

  async function thumbprint(jwk) {
    const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
    return b64url(await crypto.subtle.digest("SHA-256", enc.encode(canonical)));
  }

  // A compact JWS, ES256: WebCrypto's ECDSA signature is already r||s, as JWS wants. Its S is
  // either of the two valid ones (s or n - s); the service accepts only the low one (s <= n/2).
  async function sign(key, header, claims) {
    const input = b64url(enc.encode(JSON.stringify({ alg: "ES256", ...header }))) + "." + b64url(enc.encode(JSON.stringify(claims)));
    const signature = new Uint8Array(await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, key, enc.encode(input)));
    const n = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n; // the P-256 order
    let s = BigInt("0x" + Array.from(signature.slice(32), (b) => b.toString(16).padStart(2, "0")).join(""));
    if (s > n / 2n) {
      s = n - s;
      for (let i = 63; i >= 32; i--, s >>= 8n) signature[i] = Number(s & 0xffn);
    }
    return input + "." + b64url(signature);
  }

  function claims(state, extra) {
    return { aud: state.issuer, iat: Math.floor(Date.now() / 1000), jti: b64url(random(16)), ...extra };
  }

  async function call(state, path, proof) {
    const response = await fetch(`t/${state.tenant}/device/${path}`, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ proof }), cache: "no-store",
    });
    return { status: response.status, body: await response.json() };
  }

  // An enrolment link, {this service}/t/{tenant}/enrol#code=CODE (the security-info page's QR
  // code): its tenant and code, or null when it is not one of this service's.
  function fromLink(text) {
    let url;
    try { url = new URL(text.trim()); } catch (e) { return null; }
    const base = location.pathname.replace(/\/phone$/, "");
    const found = url.pathname.match(/^(.*)\/t\/([a-z0-9][a-z0-9-]{1,30}[a-z0-9])\/enrol$/);
    const code = new URLSearchParams(url.hash.slice(1)).get("code");
    if (!found || found[1] !== base || url.origin !== location.origin || !code || url.search) return null;
    return { tenant: found[2], code };
  }

  function useLink() {
    const link = $("link").value.trim();
    if (!link) return true;
    const parsed = fromLink(link);
    if (!parsed) { error("enrol-error", TEXT.enrolErrors.bad_link); return false; }
    $("tenant").value = parsed.tenant;
    $("activation-code").value = parsed.code;
    return true;
  }

  async function enrol(event) {
    event.preventDefault();
    error("enrol-error", "");
    if (!useLink()) return;
    const tenant = $("tenant").value.trim();
    const pin = $("new-pin").value;
    if (pin.length < 4) { error("enrol-error", TEXT.pinTooShort); return; }
    const pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"]);
    const pub = await crypto.subtle.exportKey("jwk", pair.publicKey);
    const jwk = { kty: "EC", crv: "P-256", x: pub.x, y: pub.y };
    const state = { tenant, issuer: `${location.origin}${location.pathname.replace(/\/phone$/, "")}/t/${tenant}`, installation: "sim-" + b64url(random(12)) };
    const proof = await sign(pair.privateKey, { typ: "device-enrol+jwt", jwk }, claims(state, {
      activation_code: $("activation-code").value.trim(), platform: "android", installation_id: state.installation, screen_lock: true,
      locale: navigator.language, // the phone's language, as a real app sends its own
    }));
    const { status, body } = await call(state, "enrol", proof);
    if (status !== 200) { error("enrol-error", TEXT.enrolErrors[body.error] || TEXT.enrolErrors.other); return; }
    const salt = random(16), iv = random(12);
    const secret = { d: await crypto.subtle.exportKey("jwk", pair.privateKey), totp: body.totp_secret };
    const sealed = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, await pinKey(pin, salt), enc.encode(JSON.stringify(secret)));
    save({ ...state, username: body.username, deviceId: body.device_id, salt: b64(salt), iv: b64(iv), sealed: b64(sealed) });
    await unlock(pin);
  }

  async function unlock(pin) {
    const state = load();
    try {
      const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: unb64(state.iv) }, await pinKey(pin, unb64(state.salt)), unb64(state.sealed));
      const secret = JSON.parse(new TextDecoder().decode(plain));
      unlocked = {
        key: await crypto.subtle.importKey("jwk", secret.d, { name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]),
        totp: base32(secret.totp),
      };
    } catch (e) { error("unlock-error", TEXT.wrongPin); return; }
    $("home-account").textContent = state.username;
    $("home-tenant").textContent = state.tenant;
    show("home");
    $("home-title").focus();
    tickTotp();
    poll();
  }

  function base32(text) {
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let bits = "";
    for (const c of text.replace(/=+$/, "")) bits += alphabet.indexOf(c).toString(2).padStart(5, "0");
    return Uint8Array.from(bits.match(/.{8}/g) || [], (b) => parseInt(b, 2));
  }

  async function totpCode(secret, seconds) {
    const counter = new DataView(new ArrayBuffer(8));
    counter.setUint32(4, Math.floor(seconds / 30));
    const key = await crypto.subtle.importKey("raw", secret, { name: "HMAC", hash: "SHA-1" }, false, ["sign"]);
    const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, counter.buffer));
    const offset = mac[19] & 0x0f;
    const value = ((mac[offset] & 0x7f) << 24) | (mac[offset + 1] << 16) | (mac[offset + 2] << 8) | mac[offset + 3];
    return String(value % 1000000).padStart(6, "0");
  }

  async function tickTotp() {
    if (!unlocked) return;
    const now = Date.now() / 1000;
    $("totp-code").textContent = await totpCode(unlocked.totp, now);
    $("totp-left").textContent = say(TEXT.codeLeft, { seconds: 30 - (Math.floor(now) % 30) });
    setTimeout(tickTotp, 1000);
  }

  async function poll() {
    clearTimeout(pollTimer);
    const state = load();
    if (!unlocked || !state) return;
    const proof = await sign(unlocked.key, { typ: "device-request+jwt", kid: state.deviceId }, claims(state, { act: "pending" }));
    const { status, body } = await call(state, "signins", proof);
    if (status === 200) {
      showNotices(body.notices || []);
      waiting = body.signins;
      if (shown && !waiting.some((s) => s.signin_id === shown.signin_id)) {
        outcome(TEXT.endedElsewhere, true);
      }
      renderList();
    }
    pollTimer = setTimeout(poll, 1500);
  }

  // Every waiting request, oldest first; the person chooses which one to answer. Nothing
  // opens on its own, and polling never moves the focus.
  let listed = null; // the ids the list shows: it is rebuilt only when they change
  function renderList() {
    const live = waiting.filter((s) => secondsLeft(s) > 0);
    const ids = live.map((s) => s.signin_id).join(" ");
    if (ids === listed) return;
    listed = ids;
    const status = !live.length ? TEXT.noRequests : live.length === 1 ? TEXT.oneWaiting : TEXT.manyWaiting;
    $("inbox-status").textContent = say(status, { count: live.length });
    const focused = document.activeElement && document.activeElement.closest("#requests li");
    const keep = focused ? focused.dataset.signin : null;
    $("requests").replaceChildren(...live.map((signin) => {
      const item = document.createElement("li");
      item.dataset.signin = signin.signin_id;
      const line = (cls, text, tag) => { const el = document.createElement(tag || "span"); el.className = cls; el.textContent = text; return el; };
      const open = line("secondary", TEXT.review, "button");
      open.type = "button";
      open.setAttribute("aria-label", say(TEXT.reviewLabel, { app: signin.app, where: whereText(signin) }));
      open.addEventListener("click", () => present(signin));
      item.append(
        line("app", signin.app, "strong"),
        line("muted org", `${signin.organisation || ""} · ${signin.account || ""}`),
        line("muted where", whereText(signin)),
        ...(signin.binding_message ? [line("binding", signin.binding_message)] : []),
        line("muted left", leftText(signin)),
        open,
      );
      return item;
    }));
    if (keep) { const again = $("requests").querySelector(`li[data-signin="${CSS.escape(keep)}"] button`); if (again) again.focus(); }
  }

  // The countdowns: each request's time left, in the list and on the request screen.
  function tickCountdowns() {
    for (const item of $("requests").children) {
      const signin = waiting.find((s) => s.signin_id === item.dataset.signin);
      if (signin) item.querySelector(".left").textContent = leftText(signin);
    }
    if (waiting.some((s) => !secondsLeft(s))) renderList(); // drops the expired
    if (shown) {
      $("request-left").textContent = leftText(shown);
      if (!secondsLeft(shown)) outcome(TEXT.expiredUnanswered, true);
    }
  }

  const NOTICES = {
    totp_failed: (n) => say(n.device ? TEXT.notices.totp_failed_from : TEXT.notices.totp_failed, n),
    device_enrolled: (n) => (n.platform ? say(TEXT.notices.device_enrolled, n) : TEXT.notices.device_enrolled_unnamed),
    device_removed: (n) => say(TEXT.notices.device_removed, n),
    activation_code_issued: () => TEXT.notices.activation_code_issued,
    passkey_added: (n) => say(TEXT.notices.passkey_added, n),
    passkey_removed: (n) => say(TEXT.notices.passkey_removed, n),
    recovery_codes_generated: () => TEXT.notices.recovery_codes_generated,
    recovery_code_used: (n) => say(TEXT.notices.recovery_code_used, n),
  };

  function showNotices(notices) {
    $("notices").replaceChildren(...notices.map((n) => {
      const item = document.createElement("li");
      const when = new Date(n.at * 1000).toTimeString().slice(0, 5);
      item.textContent = `${when} · ${(NOTICES[n.kind] || (() => n.kind))(n)}`;
      return item;
    }));
  }

  // A held request (no notification was sent: too many requests, or phone sign-in paused) is
  // found by the six-digit number its page shows, and approved with it.
  async function find(event) {
    event.preventDefault();
    error("find-error", "");
    const number = parseInt($("find-number").value.trim(), 10);
    if (!(number >= 100000 && number <= 999999)) { error("find-error", TEXT.enterSixDigits); return; }
    const state = load();
    const proof = await sign(unlocked.key, { typ: "device-request+jwt", kid: state.deviceId }, claims(state, { act: "pending", number }));
    const { status, body } = await call(state, "signins", proof);
    const held = status === 200 && body.signins.find((s) => s.held);
    if (!held) { error("find-error", TEXT.noHeldSignin); return; }
    $("find-number").value = "";
    await answer("approve", number, held);
  }

  function present(signin) {
    shown = signin;
    $("outcome").hidden = true;
    $("request-app").textContent = signin.app;
    $("request-org").textContent = signin.organisation || "";
    $("request-account").textContent = signin.account || "";
    $("request-where").textContent = whereText(signin);
    $("request-binding").hidden = !signin.binding_message;
    $("request-binding").textContent = signin.binding_message || "";
    $("request-left").textContent = leftText(signin);
    const choices = $("choices");
    choices.replaceChildren(...signin.choices.map((n) => {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = String(n);
      button.setAttribute("aria-label", say(TEXT.numberLabel, { number: n }));
      button.addEventListener("click", () => answer("approve", n));
      return button;
    }));
    const mode = signin.number_match;
    const typing = mode === "type" || mode === "strict"; // strict: six digits, nothing to tap
    $("request-prompt").hidden = mode === "none";
    $("request-prompt").textContent = typing ? TEXT.promptType : TEXT.promptTap;
    $("type-form").hidden = !typing;
    $("typed").maxLength = mode === "strict" ? 6 : 2;
    $("typed").value = "";
    $("approve-plain").hidden = mode !== "none";
    error("request-error", "");
    show("request");
    $("request-title").focus(); // never a number or a button: a stray Enter must not answer
  }

  async function answer(decision, number, signin) {
    const state = load();
    const extra = { sid: (signin || shown).signin_id, decision };
    if (number !== undefined) extra.number = number;
    const proof = await sign(unlocked.key, { typ: "signin-response+jwt", kid: state.deviceId }, claims(state, extra));
    const { status, body } = await call(state, "respond", proof);
    if (status === 200) outcome(TEXT.outcomes[decision]);
    else if (TEXT.failures[body.error]) outcome(TEXT.failures[body.error], true);
    else { error(signin ? "find-error" : "request-error", TEXT.answerFailed); return; }
    poll();
  }

  async function remove() {
    const state = load();
    const proof = await sign(unlocked.key, { typ: "device-request+jwt", kid: state.deviceId }, claims(state, { act: "unregister" }));
    await call(state, "unregister", proof);
    localStorage.removeItem(STORE);
    unlocked = null;
    show("enrol");
  }

  $("enrol-form").addEventListener("submit", enrol);
  $("unlock-form").addEventListener("submit", (e) => { e.preventDefault(); error("unlock-error", ""); unlock($("pin").value); });
  $("deny").addEventListener("click", () => answer("deny"));
  $("fraud").addEventListener("click", () => answer("report_fraud"));
  $("approve-plain").addEventListener("click", () => answer("approve"));
  $("back").addEventListener("click", () => { shown = null; show("home"); $("home-title").focus(); });
  $("type-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const typed = $("typed").value.trim();
    if (!/^\d+$/.test(typed) || typed.length !== $("typed").maxLength) { error("request-error", say(TEXT.typeDigits, { digits: $("typed").maxLength })); return; }
    answer("approve", parseInt(typed, 10));
  });
  $("remove").addEventListener("click", remove);
  $("find-form").addEventListener("submit", find);
  setInterval(() => { $("clock").textContent = new Date().toTimeString().slice(0, 5); tickCountdowns(); }, 1000);

  const params = new URLSearchParams(location.search);
  const state = load();
  if (state) { $("locked-account").textContent = `${state.username} · ${state.tenant}`; show("locked"); $("pin").focus(); }
  else {
    $("tenant").value = params.get("tenant") || "";
    $("activation-code").value = params.get("code") || "";
    $("link").value = params.get("link") || "";
    show("enrol");
    const ready = params.get("code") || (params.get("link") && useLink());
    $(ready ? "new-pin" : params.get("link") ? "link" : "tenant").focus();
  }
})();
