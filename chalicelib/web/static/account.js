// The security-info page's one script: "Add a passkey" (WebAuthn). Everything else on the
// page works without it. Its sentences come with the page, in its language (data-text,
// web/account_lists.py SCRIPT_TEXT); the session's CSRF token is sent as X-CSRF-Token.
"use strict";
(function () {
  const main = document.getElementById("account");
  const form = document.getElementById("add-passkey");
  if (!main || !form || form.dataset.enabled !== "yes") return;
  const TEXT = JSON.parse(main.dataset.text);
  const name = document.getElementById("passkey-name");
  const error = document.getElementById("passkey-error");
  const show = (text) => { error.textContent = text || ""; error.hidden = !text; };
  form.hidden = false;

  async function post(path, body) {
    const response = await fetch(main.dataset.home + path, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": main.dataset.csrf },
      body: JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store",
    });
    let json = {};
    try { json = await response.json(); } catch (e) { json = {}; }
    return { status: response.status, body: json };
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    show("");
    const named = name.value.trim();
    if (!named) { show(TEXT.nameRequired); name.focus(); return; }
    if (!window.PublicKeyCredential || !PublicKeyCredential.parseCreationOptionsFromJSON) {
      show(TEXT.unsupported);
      return;
    }
    const options = await post("/passkeys/options", {});
    if (options.status !== 200) { show(TEXT[options.body.error] || TEXT.other); return; }
    let credential;
    try {
      const publicKey = PublicKeyCredential.parseCreationOptionsFromJSON(options.body.publicKey);
      credential = await navigator.credentials.create({ publicKey });
    } catch (e) {
      show(e && e.name === "NotAllowedError" ? TEXT.notAllowed : TEXT.other);
      return;
    }
    const made = await post("/passkeys", {
      challenge_id: options.body.challenge_id, credential: credential.toJSON(), name: named,
    });
    if (made.status !== 200) { show(TEXT[made.body.error] || TEXT.other); return; }
    location.reload();
  });
})();
