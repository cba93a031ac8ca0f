// What the app keeps on the phone, and nothing more: the installation id (random, not a
// secret; what the server's per-device limit counts), the chosen language, whether this browser
// has signed in, the ids of an open SOS and an active trip (to take them up again after a
// reload), and an SOS pressed without a connection: its time and place only, until it is sent.
// No token (it is in an HttpOnly cookie no script can read), no name, no number, no report.
const K = {
  device: "kotwal.device",
  lang: "kotwal.lang",
  signedIn: "kotwal.signedIn",
  sos: "kotwal.sos",
  trip: "kotwal.trip",
  pending: "kotwal.sosPending",
};

function read(key) {
  try {
    return localStorage.getItem(key);
  } catch {
    return null; // storage switched off: the app still works, it only forgets
  }
}

function write(key, value) {
  try {
    if (value === null || value === undefined) localStorage.removeItem(key);
    else localStorage.setItem(key, value);
  } catch {
    /* storage switched off or full */
  }
}

export function deviceId() {
  let id = read(K.device);
  if (!id || !/^[A-Za-z0-9_-]{8,128}$/.test(id)) {
    id = "web-" + crypto.randomUUID();
    write(K.device, id);
  }
  return id;
}

export const lang = () => read(K.lang);
export const setLang = (value) => write(K.lang, value);
export const signedIn = () => read(K.signedIn) === "1";
export const setSignedIn = (yes) => write(K.signedIn, yes ? "1" : null);
export const sosId = () => read(K.sos);
export const setSosId = (id) => write(K.sos, id);
export const tripId = () => read(K.trip);
export const setTripId = (id) => write(K.trip, id);

// An SOS pressed while offline: {at, lat, lon, accuracy}. Stored before the first attempt, so
// that a request lost with the connection is not lost with it; cleared once the server has it.
export function pendingSos() {
  const raw = read(K.pending);
  if (!raw) return null;
  try {
    const fix = JSON.parse(raw);
    return typeof fix.lat === "number" && typeof fix.lon === "number" ? fix : null;
  } catch {
    return null;
  }
}

export function queueSos(fix) {
  const { at, lat, lon, accuracy } = fix;
  write(K.pending, JSON.stringify({ at, lat, lon, accuracy }));
}

export const clearPendingSos = () => write(K.pending, null);

// Signing out (or deleting the account) forgets the signed-in mark and the ids; the language
// and the installation id stay (they say nothing of the person).
export function forgetPerson() {
  for (const key of [K.signedIn, K.sos, K.trip, K.pending]) write(key, null);
}
