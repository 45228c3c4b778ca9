// The dashboard's entry: ask for the API key, route #/, #/jobs/{id}, #/models, #/models/{id}.

import { api, key } from "./api.js";
import { jobsView } from "./jobs.js";
import { modelView, modelsView } from "./models.js";

const view = document.getElementById("view");
const login = document.getElementById("login");
const forget = document.getElementById("forget-key");
let cleanup = () => {};

function showLogin(message) {
  cleanup();
  cleanup = () => {};
  view.replaceChildren();
  login.hidden = false;
  forget.hidden = true;
  document.getElementById("login-error").textContent = message || "";
  document.getElementById("api-key").focus();
}

function onError(err) {
  if (err && err.status === 401) {
    key.clear();
    showLogin("That key was refused: check it and try again.");
    return;
  }
  console.error(err);
  const note = document.createElement("p");
  note.className = "error banner";
  note.textContent = (err && err.message) || String(err);
  view.prepend(note);
  setTimeout(() => note.remove(), 6000);
}

function route() {
  cleanup();
  if (!key.get()) {
    showLogin();
    return;
  }
  login.hidden = true;
  forget.hidden = false;
  const parts = location.hash.replace(/^#\/?/, "").split("/").filter(Boolean);
  for (const a of document.querySelectorAll("[data-nav]")) {
    a.classList.toggle("active", a.dataset.nav === (parts[0] === "models" ? "models" : "jobs"));
  }
  if (parts[0] === "models" && parts[1]) cleanup = modelView(view, parts[1], onError);
  else if (parts[0] === "models") cleanup = modelsView(view, onError);
  else cleanup = jobsView(view, parts[0] === "jobs" ? parts[1] : null, onError);
}

document.getElementById("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = document.getElementById("api-key");
  key.set(input.value);
  try {
    await api("/v1/jobs?limit=1");
    input.value = "";
    route();
  } catch (err) {
    key.clear();
    showLogin(err.status === 401 ? "That key was refused: check it and try again." : err.message);
  }
});

forget.addEventListener("click", () => {
  key.clear();
  showLogin();
});

window.addEventListener("hashchange", route);
route();
