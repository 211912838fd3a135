// The pages that mailed links open: read the token from the fragment, take it out of
// the address bar (and so out of the history), and post it to the API.
"use strict";

function tokenFromFragment() {
  const token = new URLSearchParams(window.location.hash.slice(1)).get("token");
  history.replaceState(null, "", window.location.pathname);
  return token;
}

async function post(path, body) {
  const response = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  if (response.ok) {
    return null;
  }
  const problem = await response.json().catch(() => ({}));
  return problem.detail || `The service answered ${response.status}.`;
}

function say(text) {
  document.getElementById("status").textContent = text;
}

async function verifyEmail(token) {
  const failure = await post("/auth/verify-email", { token });
  say(failure || "Your email address is confirmed. You can close this page.");
}

function resetPassword(token) {
  const form = document.getElementById("reset");
  form.hidden = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const newPassword = document.getElementById("new-password").value;
    const failure = await post("/auth/password-reset/confirm", {
      token,
      new_password: newPassword,
    });
    if (failure) {
      say(failure);
      return;
    }
    form.hidden = true;
    say("Your password is set, and every session signed out. Log in with the new one.");
  });
}

const token = tokenFromFragment();
const page = document.body.dataset.page;
if (!token) {
  say("This page needs the link from the mail, with its token.");
} else if (page === "verify-email") {
  verifyEmail(token);
} else {
  resetPassword(token);
}
