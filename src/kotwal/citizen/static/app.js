// The citizens' web app: log in with a code by SMS, SOS, a safe trip, reports, one's data and
// devices. Plain DOM, no framework; every text a person typed or the server sent goes into
// the page as text (textContent), never as markup. The token is in an HttpOnly cookie the
// server sets; this script never sees it, and sends the header X-Kotwal-Citizen with every
// request so that the server can tell the app's requests from another page's.
import { LANGS, STRINGS } from "./strings.js";
import * as store from "./outbox.js";

const API = "/citizen/v1";
//: How often an open SOS sends where the phone is (the issue asks every 5 to 10 s); each
//: answer also says whether the control room has acknowledged it.
const SOS_EVERY_MS = 5000;
//: How often an active trip sends its positions.
const TRIP_EVERY_MS = 15000;
//: How often an SOS pressed offline is tried again (besides the moment the browser is online).
const RETRY_MS = 5000;

const main = document.getElementById("main");
const state = {
  lang: "en",
  sos: null, // the open SOS as the server last described it
  trip: null, // the active trip
  checkIn: null, // a trip check-in waiting for an answer
  fix: null, // the latest position the phone gave
  unsent: [], // SOS positions not yet sent (the connection dropped)
  retries: 0, // attempts to send an SOS pressed offline
  timers: {},
  message: null, // a line to show at the top of the next screen
};

// --- language ---------------------------------------------------------------------------------

function t(key, vars = {}) {
  const text = STRINGS[state.lang][key] ?? STRINGS.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? ""));
}

function pickLang() {
  const saved = store.lang();
  if (saved && LANGS.includes(saved)) return saved;
  const asked = (navigator.language || "en").slice(0, 2);
  return LANGS.includes(asked) ? asked : "en";
}

function setLang(lang) {
  state.lang = lang;
  store.setLang(lang);
  document.documentElement.lang = lang;
  document.documentElement.dir = lang === "ur" ? "rtl" : "ltr";
  document.title = t("app_name");
  document.getElementById("brand").textContent = t("app_name");
  document.getElementById("langs").setAttribute("aria-label", t("language"));
  for (const button of document.querySelectorAll("#langs button")) {
    button.setAttribute("aria-pressed", String(button.dataset.lang === lang));
  }
  const dial = document.getElementById("dial");
  dial.replaceChildren(t("dial_112") + " ", el("a", { href: "tel:112", text: "112" }));
  showOnline();
}

function when(iso) {
  if (!iso) return "";
  const locale = { en: "en-IN", te: "te-IN", ur: "ur-IN" }[state.lang];
  return new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" }).format(
    new Date(iso),
  );
}

// --- the page ---------------------------------------------------------------------------------

// An element: el("p", {class: "hint", text: "..."}, child, ...). Text only, never HTML.
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "text") node.textContent = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (value === true) node.setAttribute(name, "");
    else node.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) node.append(child);
  }
  return node;
}

function screen(title, ...children) {
  const note = state.message;
  state.message = null;
  main.replaceChildren(
    el("h1", { text: title }),
    ...[note ? el("p", { class: note.kind, role: "status", text: note.text }) : null, ...children].filter(Boolean),
  );
  main.focus({ preventScroll: true });
}

function field(label, input) {
  return el("label", {}, label, input);
}

function errorLine(form) {
  let line = form.querySelector(".error");
  if (!line) {
    line = el("p", { class: "error", role: "alert" });
    form.append(line);
  }
  return line;
}

function showOnline() {
  const banner = document.getElementById("offline");
  banner.textContent = t("offline");
  banner.hidden = navigator.onLine;
}

// --- the API ----------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, detail) {
    super(detail || `HTTP ${status}`);
    this.status = status; // 0: no connection
    this.detail = detail;
  }
}

async function api(method, path, body, form) {
  const headers = { "X-Kotwal-Citizen": "app", Accept: "application/json" };
  let payload;
  if (form) payload = form;
  else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(API + path, {
      method,
      headers,
      body: payload,
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch {
    throw new ApiError(0);
  }
  if (response.status === 401 && path !== "/session") {
    signedOut(t("signed_out"));
    throw new ApiError(401);
  }
  if (!response.ok) {
    let detail;
    try {
      detail = (await response.json()).detail;
    } catch {
      /* not problem+json */
    }
    throw new ApiError(response.status, detail);
  }
  return response.status === 204 ? null : response.json();
}

function problem(error) {
  if (error.status === 0) return t("no_connection");
  if (error.status === 429) return t("too_many");
  return error.detail || t("went_wrong");
}

// --- where the phone is -----------------------------------------------------------------------

function position(timeout = 10000) {
  return new Promise((resolve, reject) => {
    if (!navigator.geolocation) {
      reject(new Error("no geolocation"));
      return;
    }
    navigator.geolocation.getCurrentPosition(
      (p) => {
        state.fix = asFix(p);
        resolve(state.fix);
      },
      (error) => (state.fix ? resolve(state.fix) : reject(error)),
      { enableHighAccuracy: true, timeout, maximumAge: 30000 },
    );
  });
}

function asFix(p) {
  return {
    at: new Date(p.timestamp || Date.now()).toISOString(),
    lat: p.coords.latitude,
    lon: p.coords.longitude,
    accuracy: Math.min(p.coords.accuracy ?? 0, 100000),
  };
}

function follow() {
  // Keeps state.fix fresh while an SOS or a trip is open; stopped when both are over.
  if (state.timers.watch !== undefined || !navigator.geolocation) return;
  state.timers.watch = navigator.geolocation.watchPosition(
    (p) => (state.fix = asFix(p)),
    () => {},
    { enableHighAccuracy: true, maximumAge: 10000 },
  );
}

function unfollow() {
  if (state.sos || state.trip || state.timers.watch === undefined) return;
  navigator.geolocation.clearWatch(state.timers.watch);
  delete state.timers.watch;
}

function freshFix() {
  return state.fix ? { ...state.fix, at: new Date().toISOString() } : null;
}

// --- routes -----------------------------------------------------------------------------------

const ROUTES = {
  "": home,
  login,
  sos: sosScreen,
  trip: tripScreen,
  report: reportForm,
  reports: reportList,
  data: myData,
  devices,
};

function go(hash) {
  if (location.hash === hash) render();
  else location.hash = hash;
}

function render() {
  const [name, id] = location.hash.replace(/^#\/?/, "").split("/");
  if (!store.signedIn() && name !== "login" && name !== "sos") {
    login();
    return;
  }
  if (name === "reports" && id) {
    reportView(id);
    return;
  }
  (ROUTES[name] || home)();
}

function signedOut(message) {
  stopSos();
  stopTrip();
  store.forgetPerson();
  state.message = message ? { kind: "hint", text: message } : null;
  go("#/login");
}

// --- logging in -------------------------------------------------------------------------------

function login() {
  const mobile = el("input", {
    id: "mobile",
    type: "tel",
    inputmode: "numeric",
    autocomplete: "tel",
    required: true,
    minlength: 10,
    maxlength: 14,
    pattern: "[0-9+ \\-]{10,14}",
  });
  const ask = el("form", { id: "ask" }, field(t("mobile"), mobile), el("button", { text: t("send_code") }));
  const code = el("input", {
    id: "code",
    inputmode: "numeric",
    autocomplete: "one-time-code",
    required: true,
    minlength: 6,
    maxlength: 6,
    pattern: "[0-9]{6}",
  });
  const spend = el(
    "form",
    { id: "spend", hidden: true },
    el("p", { class: "hint", id: "code-sent" }),
    field(t("code"), code),
    el("button", { text: t("log_in") }),
  );
  let challenge = null;
  ask.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const sent = await api("POST", "/otp", { mobile: mobile.value, device: store.deviceId() });
      challenge = sent.challenge;
      spend.hidden = false;
      spend.querySelector("#code-sent").textContent = t("code_sent", { mobile: mobile.value });
      errorLine(ask).textContent = "";
      code.focus();
    } catch (error) {
      errorLine(ask).textContent = problem(error);
    }
  });
  spend.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const body = {
        mobile: mobile.value,
        challenge,
        code: code.value,
        device_label: deviceLabel(),
        cookie: true,
      };
      const session = await api("POST", "/session", body);
      store.setSignedIn(true);
      state.message = {
        kind: "done",
        text: session.new_account ? t("welcome_new") : t("welcome_back"),
      };
      go("#/");
    } catch (error) {
      errorLine(spend).textContent = error.status === 401 ? t("code_wrong") : problem(error);
    }
  });
  screen(t("log_in_title"), el("p", { text: t("log_in_why") }), ask, spend);
}

function deviceLabel() {
  const platform = navigator.userAgentData?.platform || navigator.platform || "";
  return (t("this_browser") + (platform ? ` (${platform})` : "")).slice(0, 60);
}

// --- home -------------------------------------------------------------------------------------

function home() {
  const sosButton = el(
    "button",
    { class: "sos", id: "sos", type: "button", onclick: raiseSos },
    "SOS",
    el("small", { text: t("sos_hint") }),
  );
  const open = state.sos || store.pendingSos();
  screen(
    t("home_title"),
    open
      ? el("p", { class: "card alert" }, el("a", { href: "#/sos", text: t("sos_open_link") }))
      : null,
    state.trip
      ? el("p", { class: "card" }, el("a", { href: "#/trip", text: t("trip_open_link") }))
      : null,
    sosButton,
    el(
      "ul",
      { class: "tiles" },
      el("li", {}, el("a", { href: "#/trip", text: t("trip_tile") })),
      el("li", {}, el("a", { href: "#/report", text: t("report_tile") })),
      el("li", {}, el("a", { href: "#/reports", text: t("reports_tile") })),
      el("li", {}, el("a", { href: "#/data", text: t("data_tile") })),
      el("li", {}, el("a", { href: "#/devices", text: t("devices_tile") })),
    ),
  );
}

// --- SOS --------------------------------------------------------------------------------------

async function raiseSos() {
  state.message = null;
  go("#/sos");
  let fix;
  try {
    fix = await position();
  } catch {
    state.message = { kind: "error", text: t("no_position") };
    render();
    return;
  }
  // Queued first: if the request is lost with the connection, the SOS is not.
  store.queueSos(fix);
  render();
  await sendPendingSos();
}

async function sendPendingSos() {
  const pending = store.pendingSos();
  if (!pending || state.timers.sending) return;
  state.timers.sending = true;
  try {
    const sos = await api("POST", "/sos", pending);
    store.clearPendingSos();
    state.retries = 0;
    openSos(sos);
  } catch (error) {
    if (error.status !== 0) {
      // Refused (no station near, signed out): not to be retried; the person is told why.
      store.clearPendingSos();
      state.message = { kind: "error", text: problem(error) + " " + t("dial_112_now") };
    } else {
      retryLater();
    }
  } finally {
    state.timers.sending = false;
  }
  if (location.hash === "#/sos") render();
}

function retryLater() {
  // Soon at first (the browser may say it is online a moment before requests go through),
  // then every RETRY_MS; the "online" event tries at once besides.
  if (state.timers.retry) return;
  const wait = [1000, 2000][state.retries] ?? RETRY_MS;
  state.retries += 1;
  state.timers.retry = setTimeout(() => {
    delete state.timers.retry;
    if (store.pendingSos()) sendPendingSos();
  }, wait);
}

function openSos(sos) {
  state.sos = sos;
  store.setSosId(sos.id);
  if (sos.status !== "open") {
    stopSos(false);
    return;
  }
  follow();
  if (!state.timers.sos) state.timers.sos = setInterval(sosTick, SOS_EVERY_MS);
}

async function sosTick() {
  if (!state.sos) return;
  const fix = freshFix();
  if (fix) state.unsent.push(fix);
  const fixes = state.unsent.slice(-20);
  try {
    state.sos = fixes.length
      ? await api("POST", `/sos/${state.sos.id}/fixes`, { fixes })
      : await api("GET", `/sos/${state.sos.id}`);
    state.unsent = [];
  } catch (error) {
    if (error.status === 409 || error.status === 404) {
      state.unsent = [];
      state.sos = await api("GET", `/sos/${state.sos.id}`).catch(() => null);
      stopSos(false);
    } else if (error.status !== 0) {
      state.unsent = [];
    }
  }
  if (state.sos && state.sos.status !== "open") stopSos(false);
  if (location.hash === "#/sos") render();
}

function stopSos(forget = true) {
  clearInterval(state.timers.sos);
  delete state.timers.sos;
  state.unsent = [];
  if (forget || (state.sos && state.sos.status !== "open")) store.setSosId(null);
  if (forget) state.sos = null;
  unfollow();
}

function sosState(sos) {
  if (!sos) return store.pendingSos() ? "queued" : "none";
  if (sos.status !== "open") return "closed";
  if (sos.unit_sent) return "unit_sent";
  return sos.acknowledged ? "acknowledged" : "open";
}

function sosScreen() {
  const pending = store.pendingSos();
  const sos = state.sos;
  const now = sosState(sos);
  const parts = [];
  const status = el("p", { class: "status", id: "sos-status", "data-state": now, role: "status" });
  parts.push(status);
  if (now === "queued") {
    status.textContent = t("sos_queued");
    parts.push(el("p", { text: t("sos_queued_hint", { at: when(pending.at) }) }));
  } else if (now === "none") {
    status.textContent = t("sos_none");
    parts.push(el("p", {}, el("a", { href: "#/", text: t("back_home") })));
  } else {
    status.textContent = t("sos_" + now, { station: sos.station || "" });
    const facts = el(
      "dl",
      { class: "facts" },
      el("dt", { text: t("raised_at") }),
      el("dd", { text: when(sos.raised_at) }),
      el("dt", { text: t("station") }),
      el("dd", { text: sos.station || "" }),
      el("dt", { text: t("positions_sent") }),
      el("dd", { id: "sos-positions", text: String(sos.positions) }),
      el("dt", { text: t("contacts_told") }),
      el("dd", { id: "sos-contacts", text: String(sos.contacts_told) }),
    );
    parts.push(el("div", { class: "card" }, facts));
    if (now === "closed") {
      parts.push(el("p", {}, el("a", { href: "#/", text: t("back_home") })));
    } else {
      parts.push(el("p", { class: "hint", text: t("sos_sending_hint") }));
      parts.push(
        el("button", { class: "quiet", type: "button", id: "safe", onclick: closeSos, text: t("i_am_safe") }),
      );
    }
  }
  screen(t("sos_title"), ...parts, el("p", { class: "hint", text: t("dial_112_now") }));
}

async function closeSos() {
  if (!state.sos) return;
  try {
    const closed = await api("POST", `/sos/${state.sos.id}/close`);
    state.sos = closed;
    stopSos(false);
    state.message = { kind: "done", text: t("sos_closed_by_you") };
  } catch (error) {
    state.message = { kind: "error", text: problem(error) };
  }
  render();
}

// --- Travel Made Safe -------------------------------------------------------------------------

function inMinutes(minutes) {
  const d = new Date(Date.now() + minutes * 60000);
  return `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
}

function arrivalFrom(hhmm) {
  const [h, m] = hhmm.split(":").map(Number);
  const d = new Date();
  d.setHours(h, m, 0, 0);
  if (d.getTime() < Date.now()) d.setDate(d.getDate() + 1); // a time already past: tomorrow
  return d.toISOString();
}

function tripScreen() {
  if (state.trip && state.trip.status === "active") {
    activeTrip();
    return;
  }
  const vehicle = el("input", { id: "vehicle", required: true, maxlength: 20, autocapitalize: "characters", pattern: "[A-Za-z0-9 \\-]{2,20}" });
  const from = el("input", { id: "from", required: true, maxlength: 200, value: t("here") });
  const to = el("input", { id: "to", required: true, maxlength: 200 });
  const eta = el("input", { id: "eta", type: "time", required: true, value: inMinutes(30) });
  const form = el(
    "form",
    { id: "trip-form" },
    field(t("vehicle_number"), vehicle),
    field(t("from"), from),
    field(t("to"), to),
    field(t("expected_arrival"), eta),
    el("button", { text: t("start_trip") }),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = {
      vehicle_number: vehicle.value,
      origin: from.value,
      destination: to.value,
      expected_arrival: arrivalFrom(eta.value),
    };
    const here = await position(5000).catch(() => null);
    if (here) body.origin_place = { lat: here.lat, lon: here.lon };
    try {
      startTrip(await api("POST", "/trips", body));
      await tripTick();
    } catch (error) {
      errorLine(form).textContent = problem(error);
    }
  });
  const ended = state.trip && state.trip.status !== "active" ? state.trip : null;
  screen(
    t("trip_title"),
    ended
      ? el("p", { class: "card done", id: "trip-ended", text: t("trip_ended", { at: when(ended.shred_after) }) })
      : null,
    el("p", { text: t("trip_why") }),
    form,
  );
}

function startTrip(trip, show = true) {
  state.trip = trip;
  store.setTripId(trip.id);
  follow();
  if (!state.timers.trip) state.timers.trip = setInterval(tripTick, TRIP_EVERY_MS);
  if (show) go("#/trip");
}

async function tripTick() {
  if (!state.trip || state.trip.status !== "active") return;
  const fix = freshFix() || (await position(5000).catch(() => null));
  if (!fix) return;
  try {
    const sent = await api("POST", `/trips/${state.trip.id}/fixes`, { fixes: [fix] });
    state.trip.positions = sent.positions;
    state.checkIn = sent.check_in;
  } catch (error) {
    if (error.status === 409) {
      state.trip = await api("GET", `/trips/${state.trip.id}`).catch(() => null);
      stopTrip(false);
    }
  }
  if (location.hash === "#/trip") render();
}

function stopTrip(forget = true) {
  clearInterval(state.timers.trip);
  delete state.timers.trip;
  store.setTripId(null);
  state.checkIn = null;
  if (forget) state.trip = null;
  unfollow();
}

function activeTrip() {
  const trip = state.trip;
  const parts = [
    el("p", { class: "status", id: "trip-status", "data-state": "active", text: t("trip_active") }),
    el(
      "div",
      { class: "card" },
      el(
        "dl",
        { class: "facts" },
        el("dt", { text: t("vehicle_number") }),
        el("dd", { text: trip.vehicle_number || "" }),
        el("dt", { text: t("to") }),
        el("dd", { text: trip.destination || "" }),
        el("dt", { text: t("expected_arrival") }),
        el("dd", { text: when(trip.expected_arrival) }),
        el("dt", { text: t("positions_sent") }),
        el("dd", { id: "trip-positions", text: String(trip.positions) }),
      ),
    ),
  ];
  const question = state.checkIn || trip.check_in;
  if (question) {
    parts.push(
      el(
        "div",
        { class: "card alert", role: "alert" },
        el("p", { class: "status", text: t("check_in_question") }),
        el(
          "div",
          { class: "actions" },
          el("button", { type: "button", onclick: () => answer(true), text: t("i_am_safe") }),
          el("button", { type: "button", class: "danger", onclick: () => answer(false), text: t("i_need_help") }),
        ),
      ),
    );
  }
  parts.push(el("button", { type: "button", id: "end-trip", onclick: endTrip, text: t("end_trip") }));
  screen(t("trip_title"), ...parts);
}

async function answer(safe) {
  try {
    const trip = await api("POST", `/trips/${state.trip.id}/check-in`, { safe });
    state.trip = trip;
    state.checkIn = null;
    if (trip.alarm_sos_id) {
      openSos(await api("GET", `/sos/${trip.alarm_sos_id}`));
      go("#/sos");
      return;
    }
  } catch (error) {
    state.message = { kind: "error", text: problem(error) };
  }
  render();
}

async function endTrip() {
  try {
    const ended = await api("POST", `/trips/${state.trip.id}/end`);
    stopTrip(false);
    state.trip = ended;
  } catch (error) {
    state.message = { kind: "error", text: problem(error) };
  }
  render();
}

// --- reports ----------------------------------------------------------------------------------

const KINDS = [
  "crime_information",
  "traffic_violation",
  "crime_against_women",
  "police_misconduct",
  "suggestion",
  "good_work",
];

function reportForm() {
  const kind = el("select", { id: "kind", required: true }, ...KINDS.map((k) => el("option", { value: k, text: t("kind_" + k) })));
  const text = el("textarea", { id: "description", required: true, maxlength: 2000 });
  const vehicle = el("input", { id: "report-vehicle", maxlength: 20, pattern: "[A-Za-z0-9 \\-]{2,20}" });
  const photo = el("input", {
    id: "photo",
    type: "file",
    accept: "image/jpeg,image/png,image/webp",
    capture: "environment",
    multiple: true,
  });
  const form = el(
    "form",
    { id: "report-form" },
    field(t("report_kind"), kind),
    field(t("what_happened"), text),
    field(t("vehicle_number_optional"), vehicle),
    field(t("photos"), photo),
    el("p", { class: "hint", text: t("report_place_hint") }),
    el("button", { text: t("send_report") }),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button");
    button.disabled = true;
    try {
      const here = await position().catch(() => null);
      if (!here) throw new ApiError(-1, t("no_position"));
      const body = { kind: kind.value, description: text.value, lat: here.lat, lon: here.lon };
      if (vehicle.value.trim()) body.vehicle_number = vehicle.value.trim();
      const report = await api("POST", "/reports", body);
      for (const file of [...photo.files].slice(0, 3)) {
        const upload = new FormData();
        upload.append("file", file);
        await api("POST", `/reports/${report.id}/photos`, undefined, upload);
      }
      state.message = { kind: "done", text: t("report_sent") };
      go(`#/reports/${report.id}`);
    } catch (error) {
      errorLine(form).textContent = problem(error);
      button.disabled = false;
    }
  });
  screen(t("report_title"), form);
}

async function reportList() {
  screen(t("reports_title"), el("p", { class: "hint", text: "…" }));
  try {
    const reports = await api("GET", "/reports");
    screen(
      t("reports_title"),
      reports.length
        ? el(
            "ul",
            { class: "list", id: "reports" },
            ...reports.map((r) =>
              el(
                "li",
                {},
                el("a", { href: `#/reports/${r.id}`, text: t("kind_" + r.kind) }),
                " ",
                el("span", { class: "pill", text: t("status_" + r.status) }),
                el("br"),
                el("span", { class: "hint", text: when(r.updated_at) }),
              ),
            ),
          )
        : el("p", { text: t("no_reports") }),
      el("p", {}, el("a", { class: "button", href: "#/report", text: t("report_tile") })),
    );
  } catch (error) {
    if (error.status !== 401) screen(t("reports_title"), el("p", { class: "error", text: problem(error) }));
  }
}

async function reportView(id) {
  try {
    const r = await api("GET", `/reports/${encodeURIComponent(id)}`);
    screen(
      t("kind_" + r.kind),
      el("p", { class: "status", id: "report-status", "data-state": r.status, text: t("status_" + r.status) }),
      el(
        "div",
        { class: "card" },
        el(
          "dl",
          { class: "facts" },
          el("dt", { text: t("station") }),
          el("dd", { text: r.station || "" }),
          el("dt", { text: t("filed_at") }),
          el("dd", { text: when(r.created_at) }),
          el("dt", { text: t("photos_attached") }),
          el("dd", { id: "report-photos", text: String(r.photos) }),
        ),
        el("p", { text: r.description || "" }),
      ),
      el("h2", { text: t("course") }),
      el(
        "ol",
        { class: "course" },
        ...r.course.map((step) =>
          el("li", {}, el("strong", { text: t("status_" + step.status) }), " · ", when(step.at), step.note ? el("br") : null, step.note || ""),
        ),
      ),
      el(
        "div",
        { class: "actions" },
        el("button", { type: "button", id: "refresh", class: "quiet", onclick: () => reportView(id), text: t("refresh") }),
        el("a", { class: "button", href: "#/reports", text: t("reports_tile") }),
      ),
    );
  } catch (error) {
    if (error.status !== 401) screen(t("reports_title"), el("p", { class: "error", text: problem(error) }));
  }
}

// --- my data ----------------------------------------------------------------------------------

async function myData() {
  screen(t("data_title"), el("p", { class: "hint", text: "…" }));
  let reads;
  let profile;
  try {
    [reads, profile] = await Promise.all([api("GET", "/access-log"), api("GET", "/profile")]);
  } catch (error) {
    if (error.status !== 401) screen(t("data_title"), el("p", { class: "error", text: problem(error) }));
    return;
  }
  const download = el("button", { type: "button", id: "download", class: "quiet", text: t("download") });
  download.addEventListener("click", async () => {
    try {
      const data = await api("GET", "/my-data");
      const blob = new Blob([JSON.stringify(data, null, 2)], { type: "application/json" });
      const link = el("a", { href: URL.createObjectURL(blob), download: "my-data.json" });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 10000);
    } catch (error) {
      state.message = { kind: "error", text: problem(error) };
    }
  });
  screen(
    t("data_title"),
    el("h2", { text: t("who_read") }),
    reads.length
      ? el(
          "ul",
          { class: "list", id: "reads" },
          ...reads.map((r) =>
            el("li", {}, el("strong", { text: r.officer_rank }), " · ", t("what_" + r.what.replace(/ /g, "_")), el("br"), el("span", { class: "hint", text: when(r.at) + (r.purpose ? " · " + r.purpose : "") })),
          ),
        )
      : el("p", { id: "reads", text: t("no_reads") }),
    profileForm(profile),
    el("h2", { text: t("download_title") }),
    el("p", { text: t("download_why") }),
    download,
    el("h2", { text: t("delete_title") }),
    el("p", { text: t("delete_why") }),
    deleteAccount(),
  );
}

function profileForm(profile) {
  const name = el("input", { id: "name", maxlength: 200, value: profile.name || "", autocomplete: "name" });
  const rows = el("div", { id: "contacts" });
  const addRow = (c = { name: "", mobile: "" }) => {
    if (rows.children.length >= 5) return;
    const row = el(
      "div",
      { class: "contact" },
      field(t("contact_name"), el("input", { class: "c-name", maxlength: 200, value: c.name, required: true })),
      field(t("mobile"), el("input", { class: "c-mobile", type: "tel", inputmode: "numeric", maxlength: 14, value: c.mobile, required: true })),
      el("button", { type: "button", class: "quiet", "aria-label": t("remove"), text: "✕", onclick: () => row.remove() }),
    );
    rows.append(row);
  };
  profile.emergency_contacts.forEach(addRow);
  const form = el(
    "form",
    { id: "profile" },
    field(t("your_name"), name),
    el("p", { class: "hint", text: t("contacts_why") }),
    rows,
    el("div", { class: "actions" }, el("button", { type: "button", class: "quiet", onclick: () => addRow(), text: t("add_contact") }), el("button", { text: t("save") })),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const contacts = [...rows.children].map((row) => ({
      name: row.querySelector(".c-name").value,
      mobile: row.querySelector(".c-mobile").value,
    }));
    const body = { emergency_contacts: contacts };
    if (name.value.trim()) body.name = name.value.trim();
    try {
      await api("PUT", "/profile", body);
      errorLine(form).textContent = "";
      form.querySelector(".error").className = "done";
      form.querySelector(".done").textContent = t("saved");
    } catch (error) {
      errorLine(form).textContent = problem(error);
    }
  });
  return el("section", {}, el("h2", { text: t("profile_title") }), form);
}

function deleteAccount() {
  const confirm = el("button", { type: "button", class: "danger", id: "delete-confirm", hidden: true, text: t("delete_confirm") });
  const ask = el("button", { type: "button", class: "quiet", id: "delete", text: t("delete_account") });
  ask.addEventListener("click", () => {
    confirm.hidden = false;
    ask.hidden = true;
    confirm.focus();
  });
  confirm.addEventListener("click", async () => {
    try {
      await api("DELETE", "/account");
      signedOut(t("deleted"));
    } catch (error) {
      state.message = { kind: "error", text: problem(error) };
      render();
    }
  });
  return el("div", { class: "actions" }, ask, confirm);
}

// --- devices ----------------------------------------------------------------------------------

async function devices() {
  let list;
  try {
    list = await api("GET", "/devices");
  } catch (error) {
    if (error.status !== 401) screen(t("devices_title"), el("p", { class: "error", text: problem(error) }));
    return;
  }
  const revoke = async (device) => {
    try {
      await api("POST", `/devices/${device.id}/revoke`);
      if (device.current) {
        signedOut(t("logged_out"));
        return;
      }
      state.message = { kind: "done", text: t("device_removed") };
    } catch (error) {
      state.message = { kind: "error", text: problem(error) };
    }
    devices();
  };
  screen(
    t("devices_title"),
    el("p", { text: t("devices_why") }),
    el(
      "ul",
      { class: "list", id: "devices" },
      ...list.map((d) =>
        el(
          "li",
          { "data-current": String(d.current) },
          el("strong", { text: d.device_label }),
          d.current ? el("span", { class: "pill", text: t("this_device") }) : null,
          el("br"),
          el("span", { class: "hint", text: t("last_used", { at: when(d.last_seen_at) }) }),
          el("br"),
          el("button", { type: "button", class: d.current ? "quiet" : "danger", onclick: () => revoke(d), text: d.current ? t("log_out") : t("remove_device") }),
        ),
      ),
    ),
  );
}

// --- start ------------------------------------------------------------------------------------

async function resume() {
  // An SOS or a trip open when the page was last closed is taken up again.
  const sos = store.sosId();
  if (sos) {
    try {
      openSos(await api("GET", `/sos/${sos}`));
    } catch (error) {
      if (error.status !== 0) store.setSosId(null);
    }
  }
  const trip = store.tripId();
  if (trip) {
    try {
      const found = await api("GET", `/trips/${trip}`);
      if (found.status === "active") startTrip(found, false);
      else store.setTripId(null);
    } catch (error) {
      if (error.status !== 0) store.setTripId(null);
    }
  }
}

function start() {
  setLang(pickLang());
  for (const button of document.querySelectorAll("#langs button")) {
    button.addEventListener("click", () => {
      setLang(button.dataset.lang);
      render();
    });
  }
  window.addEventListener("hashchange", render);
  window.addEventListener("online", () => {
    showOnline();
    state.retries = 0;
    sendPendingSos();
  });
  window.addEventListener("offline", showOnline);
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/citizen/sw.js", { scope: "/citizen/" }).catch(() => {});
  }
  render();
  if (store.pendingSos()) sendPendingSos();
  if (store.signedIn()) resume().then(() => location.hash === "#/sos" || location.hash === "#/trip" ? render() : null);
}

start();
