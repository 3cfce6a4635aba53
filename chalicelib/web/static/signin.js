// The hosted sign-in page: phone first (or the method used last), password one click away.
"use strict";
(function () {
  const root = document.getElementById("signin");
  if (!root) return;
  const cfg = root.dataset;
  const $ = (id) => document.getElementById(id);
  const STEPS = ["username-step", "number-step", "password-step", "code-step", "recovery-step", "recovered-step"];
  const RESEND_AFTER_SECONDS = 20;
  const WARN_SECONDS = 30;
  // A result poll answered by one of these is asked again: the service busy (503, with its
  // Retry-After), or the front before it failing to reach it (502, 504).
  const TRY_AGAIN = new Set([502, 503, 504]);
  let username = "";
  let current = null; // the sign-in being followed: {signin_id, secret, number, ...}
  let timers = [];
  let pollTimer = null; // the next poll's, while one is due (not while a poll is on its way)
  let lastPoll = 0; // when the last poll was sent (Date.now())
  // When to ask for the result (web/polling.py, the one schedule; tests/e2e/test_polling.py
  // holds this script to it): seconds after the number is shown.
  const POLLING = JSON.parse(cfg.polling);

  // Every sentence this script shows, in the page's language (web/page_text.py).
  const TEXT = JSON.parse(cfg.text);
  // For the app's developers (error_description), not for the person: not translated.
  const CANCELLED = "The person cancelled the sign-in.";

  // What a failed call of the page's own means for the person, in their language: by error
  // code, never the service's English error_description.
  function problem(answer) {
    const code = answer.body.error;
    if (code === "too_many_attempts" && answer.retryAfter > 0 && answer.retryAfter < 120) {
      return TEXT.errors.too_many_attempts_in.replace("{seconds}", answer.retryAfter);
    }
    return TEXT.errors[code] || TEXT.errors.other;
  }

  function show(stepId, focusId) {
    for (const id of STEPS) $(id).hidden = id !== stepId;
    $("cancel-line").hidden = stepId === "recovered-step"; // signed in: nothing to cancel
    $("cancel-active").hidden = false;
    $("cancel-ended").hidden = true;
    const target = $(focusId || stepId);
    if (target && target.focus) target.focus();
  }

  function stopTimers() {
    timers.forEach(clearTimeout);
    timers.forEach(clearInterval);
    timers = [];
    pollTimer = null;
    $("countdown").textContent = "";
  }

  function setStatus(text, kind) {
    const status = $("status");
    status.textContent = text;
    status.className = "status" + (kind ? " " + kind : "");
  }

  function showError(id, text) {
    $(id).textContent = text;
    $(id).hidden = !text;
  }

  async function postJson(path, body) {
    const response = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": cfg.csrf },
      body: JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store",
    });
    let json = {};
    try { json = await response.json(); } catch (e) { json = {}; }
    const retryAfter = Number(response.headers.get("Retry-After")) || 0;
    return { status: response.status, body: json, retryAfter };
  }

  function authorizeFields() {
    const fields = { client_id: cfg.clientId, username };
    if (cfg.nonce) fields.nonce = cfg.nonce;
    if (cfg.scope) fields.scope = cfg.scope;
    if (cfg.redirectUri) fields.redirect_uri = cfg.redirectUri;
    if (cfg.codeChallenge) { fields.code_challenge = cfg.codeChallenge; fields.code_challenge_method = "S256"; }
    return fields;
  }

  // Back to the app's redirect_uri with these parameters, the app's state and our issuer
  // (RFC 9207), as a code or an error (OpenID Connect Core 3.1.2.5 and 3.1.2.6).
  // With response_mode=form_post the browser posts them as a form instead (OAuth 2.0 Form
  // Post Response Mode); the page's policy lets a form go to the app's redirect URI.
  function toApp(params) {
    const answer = { ...params, iss: cfg.issuer };
    if (cfg.state) answer.state = cfg.state;
    if (cfg.responseMode === "form_post") {
      const form = document.createElement("form");
      form.method = "post";
      form.action = cfg.redirectUri;
      for (const [name, value] of Object.entries(answer)) {
        const field = document.createElement("input");
        field.type = "hidden";
        field.name = name;
        field.value = value;
        form.append(field);
      }
      document.body.append(form);
      form.submit();
      return;
    }
    const target = new URL(cfg.redirectUri);
    for (const [name, value] of Object.entries(answer)) target.searchParams.set(name, value);
    window.location.assign(target.toString());
  }

  function finish(code) {
    stopTimers();
    current = null; // approved: nothing left to cancel when the page goes
    if (!cfg.redirectUri) { setStatus(TEXT.signedIn, "good"); return; }
    toApp({ code });
  }

  // Cancel, from any step: end the sign-in being followed (the phone stops listing it), then
  // tell the app the person declined.
  async function cancelToApp() {
    const followed = current;
    stopTimers();
    current = null;
    if (followed) {
      try { await postJson(`signin/${followed.signin_id}/cancel`, { secret: followed.secret }); } catch (e) { /* going anyway */ }
    }
    toApp({ error: "access_denied", error_description: CANCELLED });
  }

  // A sign-in that ended: the number goes (greyed while the approved one signs in), the
  // heading and hint say what happened and what to do next, "Try again" joins the card.
  function ended(outcome) {
    const text = TEXT.ended[outcome] || TEXT.ended.expired;
    stopTimers();
    current = null; // nothing left to cancel
    $("number-heading").textContent = text.heading;
    $("number-intro").textContent = text.hint;
    setStatus(text.status, outcome === "approved" ? "good" : "bad");
    $("number").classList.add("ended");
    $("number").hidden = outcome !== "approved";
    $("no-push-hint").hidden = true;
    if (outcome === "approved") return;
    $("cancel-active").hidden = true;
    $("cancel-ended").hidden = false;
    $("resend").textContent = TEXT.tryAgain;
    $("resend").className = "primary";
    $("resend").hidden = false;
    $("number-heading").focus();
  }

  // The first time of the schedule after `elapsed` seconds (polling.py's poll_times).
  function nextPollAfter(elapsed) {
    let at = POLLING.first;
    let gap = POLLING.gap;
    while (at <= elapsed) {
      if (at >= POLLING.busyUntil) gap = Math.min(POLLING.cap, gap + POLLING.step);
      at += gap;
    }
    return at;
  }

  // The next poll at `at` (a Date.now() time), never closer than the shortest gap to the last.
  function schedulePoll(at) {
    const due = Math.max(at, lastPoll + POLLING.gap * 1000);
    pollTimer = setTimeout(poll, Math.max(0, due - Date.now()));
    timers.push(pollTimer);
  }

  // At the schedule's next time; a hidden page only every POLLING.hidden seconds.
  function pollLater(followed) {
    const now = Date.now();
    if (document.hidden) { schedulePoll(now + POLLING.hidden * 1000); return; }
    schedulePoll(followed.started + nextPollAfter((now - followed.started) / 1000) * 1000);
  }

  async function poll() {
    const followed = current;
    pollTimer = null;
    lastPoll = Date.now();
    let answer = null; // null: no answer at all (the connection failed)
    try {
      answer = await postJson(`signin/${followed.signin_id}/result`, { secret: followed.secret });
    } catch (e) { /* offline for a moment: asked again below */ }
    if (followed !== current) return; // the person moved on
    // No connection, or the service (or the front before it) busy: the sign-in may still be
    // waiting for the phone, so ask again, after Retry-After when told, never ending it here.
    if (answer === null || TRY_AGAIN.has(answer.status)) {
      schedulePoll(Date.now() + Math.max(answer ? answer.retryAfter : 0, POLLING.gap) * 1000);
      return;
    }
    const { status, body } = answer;
    if (status !== 200) { ended("error"); return; }
    if (body.status === "pending") { pollLater(followed); return; }
    if (body.status === "approved") { ended("approved"); finish(body.code); return; }
    ended(body.reason || body.status);
  }

  function follow(signin, secondStep) {
    stopTimers();
    current = signin;
    const number = String(signin.number);
    $("number-user").textContent = username;
    $("number").textContent = number;
    // Six digits (strict number matching, or a held request) are typed on the phone.
    $("number").classList.toggle("long", number.length > 2);
    // Held: no notification was sent (too many requests, or phone sign-in paused); the
    // request waits in the app, found by this number.
    $("number-intro").textContent = signin.held
      ? TEXT.introHeld
      : cfg.numberMatch === "pick"
        ? TEXT.introPick
        : TEXT.introType;
    $("no-push-hint").hidden = Boolean(signin.held);
    $("resend").hidden = true;
    $("resend").textContent = TEXT.resend;
    $("resend").className = "secondary";
    $("number").classList.remove("ended");
    $("number").hidden = false;
    $("use-password").parentElement.hidden = secondStep;
    $("use-code-line").hidden = !secondStep;
    $("number-heading").textContent = secondStep ? TEXT.headingSecondStep
      : signin.held ? TEXT.headingHeld : TEXT.headingApprove;
    setStatus(TEXT.waiting);
    show("number-step", "number-heading");
    $("announce").textContent = TEXT.numberSpoken.replace("{number}", number.split("").join(" "));
    let warned = false;
    // Count down from the lifetime the server gave, whatever this computer's clock says.
    if (!signin.end) signin.end = Date.now() / 1000 + (signin.expires_at - signin.now);
    const end = signin.end;
    const tick = () => {
      const left = Math.max(0, Math.round(end - Date.now() / 1000));
      if (left > 0 && left <= WARN_SECONDS && !warned) {
        warned = true; // screen readers hear it once, before it is too late
        $("announce").textContent = TEXT.expiresSoon.replace("{seconds}", WARN_SECONDS);
      }
      $("countdown").textContent = left > 0 ? TEXT.expiresIn.replace("{time}", `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`) : "";
    };
    tick();
    timers.push(setInterval(tick, 1000));
    if (!secondStep) timers.push(setTimeout(() => { $("resend").hidden = false; }, RESEND_AFTER_SECONDS * 1000));
    // The schedule counts from when the number was first shown (back from the code step,
    // it goes on where it was).
    if (!signin.started) signin.started = Date.now();
    pollLater(signin);
  }

  // Shown again (the person comes back from the phone): ask now, not at the next time, but
  // never closer than the shortest gap to the last poll.
  document.addEventListener("visibilitychange", () => {
    if (document.hidden || pollTimer === null) return;
    clearTimeout(pollTimer);
    schedulePoll(Date.now());
  });

  function abandon() {
    // Tell the service this page stopped waiting, so the phone drops the request.
    if (current) postJson(`signin/${current.signin_id}/cancel`, { secret: current.secret });
    stopTimers();
    current = null;
    $("number").textContent = "";
  }

  // noPhone: the phone could not be asked (no phone, a lock, a limit, phone sign-in off): one
  // sentence says so, the same whatever the cause (the cause is nobody's business here).
  function askPassword(noPhone) {
    abandon();
    $("no-phone-note").hidden = noPhone !== true;
    $("password-user").textContent = username;
    $("password-username").value = username; // for password managers
    $("use-app-line").hidden = cfg.phoneEnabled !== "yes";
    showError("password-error", "");
    $("password").value = "";
    show("password-step", "password");
  }

  function askRecoveryCode() {
    $("recovery-user").textContent = username;
    showError("recovery-error", "");
    $("recovery-code").value = "";
    show("recovery-step", "recovery-heading");
  }

  // Signed in with a recovery code: before going back to the app, say how many are left and
  // offer to add a new method (the security-info page asks for its own sign-in).
  function recovered(answer) {
    stopTimers();
    current = null;
    const left = answer.remaining;
    $("recovered-left").textContent = left === 0 ? TEXT.recoveryLeftNone
      : left === 1 ? TEXT.recoveryLeftOne : TEXT.recoveryLeft.replace("{count}", left);
    $("add-method").href = answer.add_method_url;
    $("continue-to-app").onclick = () => finish(answer.code);
    show("recovered-step", "recovered-heading");
  }

  async function startPhone() {
    const answer = await postJson("signin", authorizeFields());
    const { status, body } = answer;
    if (status === 403 && body.error === "phone_signin_disabled") { cfg.phoneEnabled = "no"; askPassword(true); return; }
    // 429: too many requests from here for this account.
    if (status === 429 || (status === 200 && body.method === "password")) { askPassword(true); return; }
    if (status !== 200) { showError("username-error", problem(answer)); show("username-step", "username"); return; }
    follow(body, false);
  }

  // Passkeys: the button on the username step, and the username field's autofill (WebAuthn
  // conditional mediation, for autocomplete="username webauthn"). Both ask the service for a
  // challenge, let the browser find a passkey for this site (no username needed: the
  // passkey says whose it is), and send its answer to be verified; then back to the app.
  const b64url = {
    decode: (text) => Uint8Array.from(atob(text.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0)),
    encode: (buffer) => btoa(String.fromCharCode(...new Uint8Array(buffer)))
      .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, ""),
  };
  let autofill = null; // the conditional request waiting on the username field
  let rearm = null; // its timer: a fresh challenge before this one expires
  let answering = false; // a passkey's answer is on its way: one sign-in, not two (autofill and button)

  function passkeysOn() {
    return cfg.passkeys === "yes" && Boolean(window.PublicKeyCredential && navigator.credentials);
  }

  // What navigator.credentials.get answered, as the service reads it (toJSON's shape).
  function assertionJson(credential) {
    const r = credential.response;
    const response = {
      clientDataJSON: b64url.encode(r.clientDataJSON),
      authenticatorData: b64url.encode(r.authenticatorData),
      signature: b64url.encode(r.signature),
    };
    if (r.userHandle && r.userHandle.byteLength) response.userHandle = b64url.encode(r.userHandle);
    const rawId = b64url.encode(credential.rawId);
    const json = { id: rawId, rawId, type: "public-key", response, clientExtensionResults: {} };
    if (credential.authenticatorAttachment) json.authenticatorAttachment = credential.authenticatorAttachment;
    return json;
  }

  function stopAutofill() {
    clearTimeout(rearm);
    if (autofill) autofill.abort();
    autofill = null;
  }

  // conditional: offered in the username field's autofill, until the person picks one;
  // else the browser's own dialog, now (the button).
  async function passkey(conditional) {
    if (answering) return;
    stopAutofill();
    if (!conditional) showError("username-error", "");
    const options = await postJson("passkey/options", {});
    if (options.status !== 200) {
      if (options.body.error === "passkeys_disabled") { cfg.passkeys = "no"; $("use-passkey").hidden = true; }
      if (!conditional) showError("username-error", problem(options));
      return;
    }
    const controller = new AbortController();
    if (conditional) {
      autofill = controller;
      rearm = setTimeout(() => passkey(true), Math.max(10, options.body.expires_in - 15) * 1000);
    }
    const publicKey = { ...options.body.publicKey, challenge: b64url.decode(options.body.publicKey.challenge) };
    let credential = null;
    try {
      credential = await navigator.credentials.get({
        publicKey, signal: controller.signal, ...(conditional ? { mediation: "conditional" } : {}),
      });
    } catch (e) {
      // Aborted to make room for another request: that one speaks. Dismissed or timed out.
      if (!conditional && e.name !== "AbortError") showError("username-error", TEXT.passkeyNotUsed);
    }
    if (autofill === controller) { clearTimeout(rearm); autofill = null; }
    if (!credential) { if (!conditional && !autofill) armAutofill(); return; }
    if (answering) return; // the other request's passkey came first
    answering = true;
    stopAutofill();
    const fields = authorizeFields();
    delete fields.username; // the passkey says whose it is
    const answer = await postJson("passkey", {
      ...fields, challenge_id: options.body.challenge_id, credential: assertionJson(credential),
    });
    if (answer.status === 200 && answer.body.status === "approved") { finish(answer.body.code); return; }
    answering = false;
    showError("username-error", problem(answer));
    show("username-step", "username");
    armAutofill();
  }

  async function armAutofill() {
    if (!passkeysOn() || !PublicKeyCredential.isConditionalMediationAvailable) return;
    try {
      if (await PublicKeyCredential.isConditionalMediationAvailable()) passkey(true);
    } catch (e) { /* no autofill: the button still works */ }
  }

  $("use-passkey").addEventListener("click", () => passkey(false));

  $("username-step").addEventListener("submit", (event) => {
    event.preventDefault();
    username = $("username").value.trim();
    showError("username-error", "");
    if (!username) { showError("username-error", TEXT.enterUsername); $("username").focus(); return; }
    if (cfg.phoneEnabled !== "yes" || cfg.firstMethod === "password") askPassword(false);
    else startPhone();
  });

  $("password-step").addEventListener("submit", async (event) => {
    event.preventDefault();
    const password = $("password").value;
    if (!password) { showError("password-error", TEXT.enterPassword); return; }
    const answer = await postJson("password", { ...authorizeFields(), password });
    const { status, body } = answer;
    if (status === 200 && body.status === "approved") { finish(body.code); return; }
    if (status === 200 && body.status === "second_step") { follow(body, true); return; }
    showError("password-error", problem(answer));
    $("password").focus();
  });

  $("recovery-step").addEventListener("submit", async (event) => {
    event.preventDefault();
    const code = $("recovery-code").value.trim();
    if (!/^[0-9A-Za-z]{10}$/.test(code.replace(/[\s-]/g, ""))) {
      showError("recovery-error", TEXT.enterRecoveryCode);
      $("recovery-code").focus();
      return;
    }
    const answer = await postJson("recovery", { ...authorizeFields(), code });
    if (answer.status === 200 && answer.body.status === "approved") { recovered(answer.body); return; }
    showError("recovery-error", answer.body.error === "invalid_credentials" ? TEXT.recoveryWrong : problem(answer));
    $("recovery-code").focus();
  });

  $("code-step").addEventListener("submit", async (event) => {
    event.preventDefault();
    const code = $("code").value.trim();
    if (!/^[0-9]{6}$/.test(code)) { showError("code-error", TEXT.enterCode); return; }
    const answer = await postJson(`signin/${current.signin_id}/code`, { secret: current.secret, code, username });
    if (answer.status === 200 && answer.body.status === "approved") { finish(answer.body.code); return; }
    showError("code-error", problem(answer));
    $("code").focus();
  });

  $("use-password").addEventListener("click", () => askPassword(false));
  $("use-recovery").addEventListener("click", askRecoveryCode);
  $("recovery-to-password").addEventListener("click", () => askPassword(false));
  $("cancel").addEventListener("click", cancelToApp);
  $("use-app").addEventListener("click", startPhone);
  const notYou = () => { abandon(); show("username-step", "username"); };
  $("change-user").addEventListener("click", notYou);
  $("number-change-user").addEventListener("click", notYou);
  $("resend").addEventListener("click", () => { abandon(); startPhone(); });
  $("use-code").addEventListener("click", () => {
    const followed = current;
    stopTimers();
    current = followed; // keep the sign-in: the code completes it
    showError("code-error", "");
    show("code-step", "code");
  });
  $("use-phone-approval").addEventListener("click", () => follow(current, true));

  // Leaving or reloading the page cancels the sign-in it waits for, so requests do not pile
  // up on the phone. A JSON Blob: the cancel route takes application/json, and a beacon
  // carries the page's Origin like any POST.
  window.addEventListener("pagehide", () => {
    if (!current) return;
    const body = new Blob([JSON.stringify({ secret: current.secret })], { type: "application/json" });
    navigator.sendBeacon(`signin/${current.signin_id}/cancel`, body);
    stopTimers();
    current = null;
  });
  // Back from the back-forward cache: the sign-in above was cancelled, so start over.
  window.addEventListener("pageshow", (event) => { if (event.persisted) show("username-step", "username"); });

  if (cfg.loginHint) $("username").value = cfg.loginHint;
  $("needs-js").hidden = true;
  $("use-passkey").hidden = !passkeysOn();
  armAutofill();
  $("cancel-line").hidden = false;
  show("username-step", "username"); // hidden without JavaScript: the page says so instead
})();
