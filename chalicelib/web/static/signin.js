// The hosted sign-in page: start a phone sign-in, show the number, poll for the answer.
"use strict";
(function () {
  const root = document.getElementById("signin");
  if (!root) return;
  const cfg = root.dataset;
  const $ = (id) => document.getElementById(id);
  let timer = null;
  let ticker = null;

  function show(stepId) {
    for (const id of ["username-step", "number-step"]) $(id).hidden = id !== stepId;
  }

  function setStatus(text, kind) {
    const status = $("status");
    status.textContent = text;
    status.className = "status" + (kind ? " " + kind : "");
  }

  async function postJson(path, body) {
    const response = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store",
    });
    return { status: response.status, body: await response.json() };
  }

  function finish(code) {
    if (!cfg.redirectUri) { setStatus("Signed in.", "good"); return; }
    const target = new URL(cfg.redirectUri);
    target.searchParams.set("code", code);
    if (cfg.state) target.searchParams.set("state", cfg.state);
    target.searchParams.set("iss", cfg.issuer);
    window.location.assign(target.toString());
  }

  function stop() {
    clearTimeout(timer);
    clearInterval(ticker);
    $("countdown").textContent = "";
  }

  const ENDED = {
    denied: ["The sign-in was denied on your phone.", "bad"],
    wrong_number: ["That wasn't the number shown here, so the sign-in was stopped.", "bad"],
    fraud_reported: ["The sign-in was reported as not you and has been stopped.", "bad"],
    expired: ["The request expired before it was approved.", "bad"],
  };

  async function poll(signin) {
    const { status, body } = await postJson(`signin/${signin.signin_id}/result`, { secret: signin.secret });
    if (status !== 200) { stop(); setStatus("Something went wrong. Try again.", "bad"); $("retry").hidden = false; return; }
    if (body.status === "pending") { timer = setTimeout(() => poll(signin), signin.interval * 1000); return; }
    stop();
    if (body.status === "approved") { setStatus("Approved. Signing you in…", "good"); finish(body.code); return; }
    const [text, kind] = ENDED[body.reason] || ENDED[body.status] || ENDED.expired;
    setStatus(text, kind);
    $("retry").hidden = false;
  }

  function countdown(expiresAt) {
    const tick = () => {
      const left = Math.max(0, Math.round(expiresAt - Date.now() / 1000));
      $("countdown").textContent = left > 0 ? `Expires in ${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}` : "";
    };
    tick();
    ticker = setInterval(tick, 1000);
  }

  async function start(username) {
    const request = { client_id: cfg.clientId, username };
    if (cfg.nonce) request.nonce = cfg.nonce;
    if (cfg.redirectUri) request.redirect_uri = cfg.redirectUri;
    if (cfg.codeChallenge) { request.code_challenge = cfg.codeChallenge; request.code_challenge_method = "S256"; }
    const { status, body } = await postJson("signin", request);
    if (status !== 200) {
      const error = $("username-error");
      error.textContent = body.error_description || "Sign-in could not start.";
      error.hidden = false;
      show("username-step");
      return;
    }
    show("number-step");
    $("number").textContent = String(body.number);
    $("retry").hidden = true;
    setStatus("Waiting for your phone…");
    $("number-heading").focus?.();
    // The clock here may differ from the server's: count down from the lifetime it gave us.
    countdown(Date.now() / 1000 + (body.expires_at - body.now));
    timer = setTimeout(() => poll(body), body.interval * 1000);
  }

  $("username-step").addEventListener("submit", (event) => {
    event.preventDefault();
    const username = $("username").value.trim();
    $("username-error").hidden = true;
    if (!username) { $("username-error").textContent = "Enter your email or username."; $("username-error").hidden = false; return; }
    start(username);
  });
  $("retry").addEventListener("click", () => { stop(); start($("username").value.trim()); });

  if (cfg.loginHint) $("username").value = cfg.loginHint;
  $("username").focus();
})();
