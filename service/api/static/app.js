// The dashboard's entry: ask for the API key and route #/ (jobs), #/jobs/{id}, #/new[/{dataset}],
// #/datasets[/{id}], #/models[/{id}] and #/searches[/{id}] to their views.

import { api, key } from "./api.js";
import { datasetView } from "./dataset.js";
import { datasetsView } from "./datasets.js";
import { jobView } from "./job.js";
import { jobsView } from "./jobs.js";
import { modelView, modelsView } from "./models.js";
import { newJobView } from "./newjob.js";
import { searchesView, searchView } from "./searches.js";

// First part of the hash -> [nav entry, view of the list, view of one item].
const ROUTES = {
  "": ["jobs", jobsView, jobView],
  jobs: ["jobs", jobsView, jobView],
  new: ["new", (root, onError) => newJobView(root, null, onError), newJobView],
  datasets: ["datasets", datasetsView, datasetView],
  models: ["models", modelsView, modelView],
  searches: ["searches", searchesView, searchView],
};

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
  const [first = "", second] = location.hash.replace(/^#\/?/, "").split("/").filter(Boolean);
  const [nav, list, one] = ROUTES[first] || ROUTES[""];
  for (const a of document.querySelectorAll("[data-nav]")) a.classList.toggle("active", a.dataset.nav === nav);
  window.scrollTo(0, 0);
  cleanup = second ? one(view, decodeURIComponent(second), onError) : list(view, onError);
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
