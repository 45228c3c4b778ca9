// The REST API from the browser: the key in sessionStorage, JSON calls, an SSE reader.

const KEY = "backprop.apiKey";

export class ApiError extends Error {
  constructor(status, detail, errors = []) {
    super(detail || `HTTP ${status}`);
    this.status = status;
    this.errors = errors; // [{field, message}] of a 422, field as "training.epochs"
  }
}

export const key = {
  get: () => sessionStorage.getItem(KEY),
  set: (value) => sessionStorage.setItem(KEY, value.trim()),
  clear: () => sessionStorage.removeItem(KEY),
};

function headers(extra = {}) {
  return { Authorization: `Bearer ${key.get() || ""}`, ...extra };
}

async function failure(response) {
  let detail = `${response.status} ${response.statusText}`;
  let errors = [];
  try {
    const body = await response.json();
    if (body && body.detail) detail = body.detail;
    if (body && Array.isArray(body.errors)) errors = body.errors;
  } catch (_) { /* not JSON */ }
  return new ApiError(response.status, detail, errors);
}

export async function api(path, { method = "GET", body, form, signal } = {}) {
  const init = { method, signal, headers: headers() };
  if (form !== undefined) init.body = form; // FormData: the browser sets the multipart type
  else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = headers({ "Content-Type": "application/json" });
  }
  const response = await fetch(path, init);
  if (!response.ok) throw await failure(response);
  return response.status === 204 ? null : response.json();
}

// Read GET /v1/jobs/{id}/events with fetch() (EventSource cannot send the Authorization
// header). Calls onEvent({event, id, data}) per event; resolves when the stream ends.
export async function readEvents(jobId, { lastEventId, signal, onEvent }) {
  const extra = { Accept: "text/event-stream" };
  if (lastEventId) extra["Last-Event-ID"] = String(lastEventId);
  const response = await fetch(`/v1/jobs/${encodeURIComponent(jobId)}/events`, {
    headers: headers(extra),
    signal,
  });
  if (!response.ok) throw await failure(response);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value.replace(/\r\n?/g, "\n");
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const message = parseBlock(block);
      if (message) onEvent(message);
    }
  }
}

function parseBlock(block) {
  const message = { event: "message", id: null, data: "" };
  let hasData = false;
  for (const line of block.split("\n")) {
    if (!line || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") message.event = value;
    else if (field === "id") message.id = value;
    else if (field === "data") {
      message.data += (hasData ? "\n" : "") + value;
      hasData = true;
    }
  }
  if (!hasData) return null;
  try {
    message.data = JSON.parse(message.data);
  } catch (_) { /* keep the text */ }
  return message;
}
