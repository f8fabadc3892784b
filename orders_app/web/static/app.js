// Socket.IO test page for orders_app: plain browser JavaScript, no build step.
// Prices and amounts are sent exactly as typed and shown exactly as received: the API
// keeps decimals as strings, and a float here would silently change them.
"use strict";

const SESSION_KEY = "orders_app.session";
const ORDERS_PAGE_SIZE = 50;
const OPEN_STATUSES = new Set(["PENDING", "PARTIALLY_FILLED"]);
const BALANCE_FIELDS = ["available", "held", "pending", "total"];
// The access token is renewed at this share of its life (and whenever the server sends TOKEN_EXPIRING).
const TOKEN_RENEW_AT = 0.6;
// Reconnecting after the server closed the socket or refused it: waits double from the first to the last.
const RECONNECT_FIRST_DELAY_MS = 500;
const RECONNECT_MAX_DELAY_MS = 10_000;
// Events about the connection itself, not about orders or money.
const CONNECTION_EVENTS = new Set(["TOKEN_EXPIRING", "TOKEN_EXPIRED", "ACCOUNT_DISABLED", "REPLAY_COMPLETE"]);

const state = {
  accessToken: null,
  refreshToken: null,
  user: null,
  socket: null,
  instruments: new Map(),
  selectedOrderId: null,
  refreshTimer: null,
  positionsTimer: null,
  tokenTimer: null, // renews the access token before it expires
  renewing: null, // the token refresh in flight, shared by everyone who needs it
  wantSocket: false, // the user wants a live socket: reconnect whenever it drops, until they log out or disconnect
  reconnectTimer: null,
  reconnectAttempts: 0,
  // The largest eventSeq of any private event seen: a reconnect sends it as afterSeq so the server can
  // replay what this page missed.
  lastEventSeq: null,
  // Balances as shown, by asset, and which BALANCE_UPDATED last changed each (a running count):
  // a GET /balances must not overwrite what an event delivered while that GET was in flight.
  balances: new Map(),
  balanceUpdates: 0,
  balanceUpdatedBy: new Map(),
};

const $ = (selector) => document.querySelector(selector);

// ---------------------------------------------------------------- DOM helpers

/** Build an element; children are nodes or text (never parsed as HTML). */
function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  node.append(...children.filter((child) => child !== null && child !== undefined));
  return node;
}

function showNotice(selector, text, kind = "ok") {
  const notice = $(selector);
  notice.replaceChildren(text);
  notice.dataset.kind = kind;
}

function showError(selector, error) {
  const notice = $(selector);
  const details = fieldErrors(error.errors).map((line) => el("li", {}, line));
  notice.replaceChildren(
    el("strong", {}, `${error.code || ""} ${error.status || "Error"}`.trim()),
    ` — ${error.message}`,
    ...(details.length ? [el("ul", {}, ...details)] : []),
  );
  notice.dataset.kind = "error";
}

/** Flatten the API's {location: {field: [messages]}} into "field: message" lines. */
function fieldErrors(errors) {
  if (!errors || typeof errors !== "object") return [];
  return Object.values(errors).flatMap((byField) =>
    Object.entries(byField).flatMap(([field, messages]) =>
      [].concat(messages).map((message) => `${field}: ${asText(message)}`),
    ),
  );
}

function asText(value) {
  return typeof value === "string" ? value : JSON.stringify(value);
}

function formValues(form) {
  const values = {};
  for (const [name, value] of new FormData(form)) values[name] = String(value).trim();
  return values;
}

function shortId(id) {
  return id ? id.slice(0, 8) : "";
}

function timeOf(isoText) {
  return isoText ? new Date(isoText).toLocaleTimeString() : "";
}

// ---------------------------------------------------------------- HTTP

/** An error answer from the API, carrying its JSON: {code, status, message, errors}. */
class ApiError extends Error {
  constructor(body, method, path) {
    super(body.message || `${method} ${path} failed`);
    this.code = body.code;
    this.status = body.status;
    this.errors = body.errors;
    this.body = body;
    this.request = `${method} ${path}`;
  }
}

/** One HTTP call: JSON in and out, bearer token attached, one token refresh on 401. Throws ApiError. */
async function request(method, path, { body, auth = true } = {}) {
  let response = await send(method, path, body, auth ? state.accessToken : null);
  if (response.status === 401 && auth && (await refreshAccessToken())) {
    response = await send(method, path, body, state.accessToken);
  }
  const data = await readBody(response);
  if (!response.ok) {
    const error = new ApiError(errorBody(response, data), method, path);
    logHttpError(error);
    throw error;
  }
  return { data, response };
}

async function api(method, path, options) {
  return (await request(method, path, options)).data;
}

async function send(method, path, body, token) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers.Authorization = `Bearer ${token}`;
  try {
    return await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (networkError) {
    const error = new ApiError({ code: 0, status: "Network error", message: networkError.message }, method, path);
    logHttpError(error);
    throw error;
  }
}

async function readBody(response) {
  const text = await response.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function errorBody(response, data) {
  if (data && typeof data === "object" && "message" in data) return data;
  return { code: response.status, status: response.statusText, message: typeof data === "string" ? data : "" };
}

/** A new access token from the refresh token; false when the server refuses (expired, user disabled).
 * Callers at the same moment share one request. The socket gets the new token at once (`reauth`). */
function refreshAccessToken() {
  if (!state.renewing) {
    state.renewing = renewAccessToken().finally(() => {
      state.renewing = null;
    });
  }
  return state.renewing;
}

async function renewAccessToken() {
  if (!state.refreshToken) return false;
  let response;
  try {
    response = await send("POST", "/auth/refresh", undefined, state.refreshToken);
  } catch {
    return false; // the network: the next timer or reconnect tries again
  }
  if (!response.ok) {
    if (response.status === 401) endSession("Your session has ended (the refresh token was refused): log in again.");
    return false;
  }
  const tokens = await response.json();
  saveSession({ accessToken: tokens.accessToken });
  scheduleTokenRenewal();
  reauthenticateSocket();
  return true;
}

/** The claims of a JWT, read without checking it (the server does that): {exp, iat, ...} or null. */
function tokenClaims(token) {
  try {
    const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(payload.padEnd(payload.length + ((4 - (payload.length % 4)) % 4), "=")));
  } catch {
    return null;
  }
}

/** Renew the access token once TOKEN_RENEW_AT of its life has passed, measured by this page's clock. */
function scheduleTokenRenewal() {
  clearTimeout(state.tokenTimer);
  const claims = state.accessToken && tokenClaims(state.accessToken);
  if (!claims?.exp || !claims?.iat) return;
  const lifeMs = (claims.exp - claims.iat) * 1000;
  const untilExpiryMs = claims.exp * 1000 - Date.now(); // the server's clock: only trusted to shorten the wait
  const delay = Math.max(0, Math.min(lifeMs * TOKEN_RENEW_AT, untilExpiryMs - lifeMs * (1 - TOKEN_RENEW_AT)));
  state.tokenTimer = setTimeout(() => refreshAccessToken(), delay);
}

// ---------------------------------------------------------------- session

function saveSession(changes) {
  Object.assign(state, changes);
  const { accessToken, refreshToken, user } = state;
  sessionStorage.setItem(SESSION_KEY, JSON.stringify({ accessToken, refreshToken, user }));
}

function clearSession() {
  clearTimeout(state.tokenTimer);
  Object.assign(state, { accessToken: null, refreshToken: null, user: null, selectedOrderId: null, lastEventSeq: null });
  sessionStorage.removeItem(SESSION_KEY);
}

/** The server will not renew the session (refresh refused, account disabled): stop and ask for a login. */
function endSession(message) {
  if (!state.user) return;
  logOut();
  showNotice("#account-notice", message, "error");
}

async function logIn(username, password) {
  const tokens = await api("POST", "/auth/login", { body: { username, password }, auth: false });
  saveSession({ accessToken: tokens.accessToken, refreshToken: tokens.refreshToken });
  saveSession({ user: await api("GET", "/auth/me") });
  await startSession();
}

async function register(username, password) {
  const user = await api("POST", "/auth/register", { body: { username, password }, auth: false });
  showNotice("#account-notice", `Registered ${user.username}; logging in…`);
  await logIn(username, password);
}

function logOut() {
  disconnectSocket();
  clearSession();
  renderAccount();
  renderOrders([], 0);
  renderSelected(null);
  renderBalances([]);
  renderPositions([]);
  $("#balances-notice").replaceChildren();
  $("#positions-notice").replaceChildren();
  fillPairs([]);
  setSocketState("disconnected", "Log in to connect.");
  showNotice("#account-notice", "Logged out.");
}

/** After login or a page reload with a stored session: socket, instruments, orders, money. */
async function startSession() {
  renderAccount();
  state.balances = new Map(); // a different user's numbers are no baseline to highlight changes against
  scheduleTokenRenewal();
  connectSocket();
  await Promise.all([loadInstruments(), loadOrders(), loadBalances(), loadPositions()]);
}

async function restoreSession() {
  const stored = JSON.parse(sessionStorage.getItem(SESSION_KEY) || "null");
  if (!stored?.accessToken) return;
  Object.assign(state, stored);
  try {
    saveSession({ user: await api("GET", "/auth/me") });
    await startSession();
  } catch (error) {
    clearSession();
    showError("#account-notice", error);
  }
}

function renderAccount() {
  const loggedIn = Boolean(state.user);
  const { username, userId } = state.user || {};
  $("#whoami").replaceChildren(
    ...(loggedIn
      ? ["Logged in as ", el("strong", {}, username), el("span", { class: "muted" }, ` (${userId})`)]
      : ["Not logged in."]),
  );
  $("#logout").hidden = !loggedIn;
  $("#socket-connect").disabled = !loggedIn;
  $("#refresh-orders").disabled = !loggedIn;
  $("#refresh-balances").disabled = !loggedIn;
  $("#refresh-positions").disabled = !loggedIn;
}

// ---------------------------------------------------------------- Socket.IO

/** Open the /orders socket and keep it open: after any disconnect (token expiry, server restart, network
 * drop) it reconnects by itself, with a fresh token and the last eventSeq seen, until the user logs out or
 * presses Disconnect. */
function connectSocket() {
  disconnectSocket();
  if (typeof io !== "function") {
    setSocketState("refused", "The Socket.IO client did not load from /vendor/socket.io.min.js (run `make install`).");
    return;
  }
  state.wantSocket = true;
  setSocketState("connecting", "Connecting to /orders…");
  // auth as a callback: every reconnect sends the current (possibly refreshed) token and where to resume.
  const socket = io("/orders", {
    auth: (send) => send(state.lastEventSeq === null
      ? { token: state.accessToken }
      : { token: state.accessToken, afterSeq: state.lastEventSeq }),
  });
  const describe = () => `Socket id ${socket.id}, transport ${socket.io.engine.transport.name}.`;
  socket.on("connect", () => {
    state.reconnectAttempts = 0;
    setSocketState("connected", describe());
    socket.io.engine.once("upgrade", () => setSocketState("connected", describe()));
    logEntry("info", "socket connected", state.lastEventSeq === null ? null : { afterSeq: state.lastEventSeq });
    // Changes made while no socket was listening sent their events to nobody: read them again.
    loadOrders();
    loadBalances();
    loadPositions();
  });
  socket.on("connect_error", (error) => {
    // The server refused (socket.active is false: an expired token, say): renew and try again. A network
    // failure the client retries by itself.
    const refused = !socket.active;
    setSocketState(refused ? "refused" : "connecting", error.message);
    logEntry("error", refused ? "connection refused, retrying" : "connection failed, retrying", { message: error.message });
    if (refused) reconnectLater(socket, { renew: true });
  });
  socket.on("disconnect", (reason) => {
    logEntry("info", "socket disconnected", { reason });
    if (socket.active) {
      setSocketState("connecting", `Disconnected: ${reason}; reconnecting…`);
    } else if (reason === "io server disconnect") {
      // The server closed it (TOKEN_EXPIRED, say): come back with a fresh token.
      setSocketState("connecting", `Disconnected by the server; reconnecting…`);
      reconnectLater(socket, { renew: true });
    } else {
      setSocketState("disconnected", `Disconnected: ${reason}.`);
    }
  });
  socket.onAny((name, payload) => {
    if (name === "HEARTBEAT") return; // the connection is alive; nothing changed
    noteEventSeq(payload);
    logEntry("event", name, payload);
    if (CONNECTION_EVENTS.has(name)) return connectionEvent(name, payload);
    if (name === "BALANCE_UPDATED") {
      applyBalanceUpdate(payload); // money, not an order: nothing in the orders table changed
      return;
    }
    scheduleRefresh(payload?.orderId);
    if (name === "TRADE_ADDED") schedulePositionsRefresh();
  });
  state.socket = socket;
}

function connectionEvent(name, payload) {
  if (name === "TOKEN_EXPIRING") refreshAccessToken();
  else if (name === "ACCOUNT_DISABLED") {
    disconnectSocket();
    endSession("An operator disabled this account.");
  } else if (name === "REPLAY_COMPLETE") noteEventSeq({ eventSeq: payload?.lastSeq });
}

/** Remember the largest eventSeq seen, to resume from after a reconnect. */
function noteEventSeq(payload) {
  const seq = payload?.eventSeq;
  if (Number.isInteger(seq) && (state.lastEventSeq === null || seq > state.lastEventSeq)) state.lastEventSeq = seq;
}

/** Send the current access token on the open socket, so that it outlives the one it connected with. */
function reauthenticateSocket() {
  const socket = state.socket;
  if (!socket?.connected) return;
  socket.emit("reauth", { token: state.accessToken }, (ack) => {
    logEntry(ack?.ok ? "info" : "error", ack?.ok ? "socket re-authenticated" : "reauth refused", ack);
  });
}

/** Connect `socket` again after a growing pause, first renewing the access token when asked to. */
function reconnectLater(socket, { renew }) {
  clearTimeout(state.reconnectTimer);
  const attempt = state.reconnectAttempts++;
  const ceiling = Math.min(RECONNECT_MAX_DELAY_MS, RECONNECT_FIRST_DELAY_MS * 2 ** attempt);
  const delay = ceiling / 2 + Math.random() * (ceiling / 2); // jitter: a restarted server is not stampeded
  state.reconnectTimer = setTimeout(async () => {
    if (!state.wantSocket || state.socket !== socket || socket.connected) return;
    if (renew && !(await refreshAccessToken()) && !state.user) return; // refused: the session has ended
    if (state.wantSocket && state.socket === socket && !socket.connected) socket.connect();
  }, delay);
}

function disconnectSocket() {
  state.wantSocket = false;
  clearTimeout(state.reconnectTimer);
  if (!state.socket) return;
  state.socket.offAny();
  state.socket.disconnect();
  state.socket = null;
}

function setSocketState(name, detail) {
  const badge = $("#socket-state");
  badge.textContent = name;
  badge.dataset.state = name;
  $("#socket-detail").textContent = detail || "";
  $("#socket-disconnect").disabled = !state.socket || name === "disconnected";
}

/** Events often come in bursts (a trade and a status change): reload once for the burst. */
function scheduleRefresh(orderId) {
  clearTimeout(state.refreshTimer);
  const selectedChanged = orderId && orderId === state.selectedOrderId;
  state.refreshTimer = setTimeout(() => {
    loadOrders().catch(() => {});
    if (selectedChanged) loadSelected().catch(() => {});
  }, 150);
}

/** A match sends TRADE_ADDED for every order it fills: reload positions once for the burst. */
function schedulePositionsRefresh() {
  clearTimeout(state.positionsTimer);
  state.positionsTimer = setTimeout(() => loadPositions(), 150);
}

// ---------------------------------------------------------------- event log

function logEntry(kind, name, payload) {
  const log = $("#log");
  const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
  log.append(
    el(
      "article",
      { class: `log-entry ${kind}`, dataset: { name } },
      el(
        "header",
        {},
        el("time", {}, new Date().toLocaleTimeString(undefined, { hour12: false })),
        el("span", { class: "name" }, name),
      ),
      payload === null || payload === undefined ? null : el("pre", {}, JSON.stringify(payload, null, 2)),
    ),
  );
  if (atBottom) log.scrollTop = log.scrollHeight;
  $("#log-count").textContent = `(${log.children.length})`;
}

function logHttpError(error) {
  logEntry("error", `HTTP ${error.code || "—"} ${error.request}`, error.body);
}

// ---------------------------------------------------------------- instruments and orders

async function loadInstruments() {
  const instruments = await api("GET", "/instruments");
  fillPairs(instruments);
}

function fillPairs(instruments) {
  state.instruments = new Map(instruments.map((instrument) => [instrument.symbol, instrument]));
  const select = $("#order-form select[name=pair]");
  const options = instruments.map((instrument) => el("option", { value: instrument.symbol }, instrument.symbol));
  select.replaceChildren(...(options.length ? options : [el("option", { value: "" }, "log in first")]));
  select.disabled = !options.length;
  showInstrumentRules();
}

function showInstrumentRules() {
  const instrument = state.instruments.get($("#order-form select[name=pair]").value);
  if (!instrument) {
    $("#instrument-rules").textContent = "";
    return;
  }
  const { symbol, tickSize, lotSize, minAmount } = instrument;
  $("#instrument-rules").textContent = `${symbol}: price tick ${tickSize}, amount lot ${lotSize}, minimum ${minAmount}.`;
}

async function loadOrders() {
  if (!state.accessToken) return;
  const status = $("#status-filter").value;
  const query = new URLSearchParams({ page: "1", page_size: String(ORDERS_PAGE_SIZE) });
  if (status) query.set("status", status);
  try {
    const { data, response } = await request("GET", `/orders?${query}`);
    const pagination = JSON.parse(response.headers.get("X-Pagination") || "{}");
    renderOrders(data, pagination.total ?? data.length);
    $("#orders-notice").replaceChildren();
  } catch (error) {
    showError("#orders-notice", error);
  }
}

function renderOrders(orders, total) {
  const rows = orders.map(orderRow);
  const emptyText = state.user ? "No orders yet." : "No orders loaded.";
  const empty = el("tr", { class: "empty" }, el("td", { colspan: "10" }, emptyText));
  $("#orders-table tbody").replaceChildren(...(rows.length ? rows : [empty]));
  $("#orders-count").textContent = state.user ? `(${orders.length} of ${total})` : "";
}

function orderRow(order) {
  const selected = order.orderId === state.selectedOrderId;
  return el(
    "tr",
    {
      class: selected ? "selected" : "",
      dataset: { orderId: order.orderId },
      title: order.orderId,
      onclick: () => selectOrder(order.orderId),
    },
    el("td", {}, timeOf(order.createdAt)),
    el("td", {}, order.pair),
    el("td", { class: `side ${order.side}` }, order.side),
    el("td", { class: "num" }, order.amount),
    el("td", { class: "num" }, order.price ?? "—"),
    el("td", { class: "num" }, order.filledAmount),
    el("td", { class: "num" }, order.remainingAmount),
    el("td", { class: "num" }, order.averagePrice ?? "—"),
    el("td", {}, statusBadge(order.status)),
    el("td", { class: "muted" }, order.clientOrderId ?? ""),
  );
}

function statusBadge(status) {
  return el("span", { class: `status ${status}` }, status);
}

async function selectOrder(orderId) {
  state.selectedOrderId = orderId;
  for (const row of document.querySelectorAll("#orders-table tbody tr")) {
    row.classList.toggle("selected", row.dataset.orderId === orderId);
  }
  $("#selected-notice").replaceChildren();
  await loadSelected();
}

async function loadSelected() {
  if (!state.selectedOrderId) return renderSelected(null);
  try {
    renderSelected(await api("GET", `/orders/${state.selectedOrderId}`));
  } catch (error) {
    showError("#selected-notice", error);
  }
}

function renderSelected(order) {
  const tradesTable = $("#trades-table");
  const form = $("#trade-form");
  form.querySelector("button[type=submit]").disabled = !order;
  $("#cancel-order").disabled = !order;
  if (!order) {
    $("#selected-summary").replaceChildren("Click an order in the table.");
    tradesTable.hidden = true;
    return;
  }
  $("#selected-summary").replaceChildren(orderSummary(order));
  tradesTable.querySelector("tbody").replaceChildren(...order.trades.map(tradeRow));
  tradesTable.hidden = order.trades.length === 0;
  // Suggest the limit price for the next execution; keep anything the user already typed.
  const priceInput = form.elements.executedPrice;
  if (priceInput.dataset.orderId !== order.orderId) {
    priceInput.value = order.price ?? "";
    priceInput.dataset.orderId = order.orderId;
  }
  form.elements.executedAmount.placeholder = order.remainingAmount;
}

function orderSummary(order) {
  const open = OPEN_STATUSES.has(order.status);
  return el(
    "dl",
    { class: "summary" },
    el("dt", {}, "Order"),
    el("dd", {}, el("code", {}, order.orderId)),
    el("dt", {}, "Limit"),
    el("dd", {}, `${order.side} ${order.amount} ${order.pair} @ ${order.price ?? "market"}`),
    el("dt", {}, "Status"),
    el("dd", {}, statusBadge(order.status), open ? "" : el("span", { class: "muted" }, " closed: trades and cancel are refused")),
    el("dt", {}, "Filled"),
    el("dd", {}, `${order.filledAmount} filled, ${order.remainingAmount} left, average ${order.averagePrice ?? "—"}`),
  );
}

function tradeRow(trade) {
  return el(
    "tr",
    { title: trade.tradeId },
    el("td", {}, timeOf(trade.executedAt)),
    el("td", { class: "num" }, trade.executedAmount),
    el("td", { class: "num" }, trade.executedPrice),
  );
}

// ---------------------------------------------------------------- balances and positions

async function loadBalances() {
  if (!state.accessToken) return;
  const userId = state.user?.userId;
  const updatesBefore = state.balanceUpdates;
  try {
    const balances = await api("GET", "/balances");
    if (state.user?.userId !== userId) return;
    // An event that arrived during the GET is at least as new as what the GET read.
    const newer = (balance) => (state.balanceUpdatedBy.get(balance.asset) ?? 0) > updatesBefore;
    renderBalances(balances.map((balance) => (newer(balance) ? state.balances.get(balance.asset) : balance)));
    $("#balances-updated").textContent = `(read ${new Date().toLocaleTimeString()})`;
    $("#balances-notice").replaceChildren();
  } catch (error) {
    if (state.user?.userId === userId) showError("#balances-notice", error);
  }
}

/** Show a full list of balances, highlighting any row that differs from what was shown before. */
function renderBalances(balances) {
  const previous = state.balances;
  state.balances = new Map(balances.map((balance) => [balance.asset, balance]));
  if (!balances.length) state.balanceUpdatedBy.clear();
  const rows = balances.map((balance) => {
    const shown = previous.get(balance.asset);
    return balanceRow(balance, shown, Boolean(shown) && changedFields(shown, balance).length > 0);
  });
  const emptyText = state.user ? "No balances." : "No balances loaded.";
  const empty = el("tr", { class: "empty" }, el("td", { colspan: "5" }, emptyText));
  $("#balances-table tbody").replaceChildren(...(rows.length ? rows : [empty]));
  if (!state.user) $("#balances-updated").textContent = "";
}

/** BALANCE_UPDATED: replace that asset's row in place, so other rows keep their own highlight. */
function applyBalanceUpdate(payload) {
  if (!state.user || !payload?.asset) return;
  const balance = { asset: payload.asset };
  for (const field of BALANCE_FIELDS) balance[field] = payload[field];
  const tbody = $("#balances-table tbody");
  const row = balanceRow(balance, state.balances.get(balance.asset), true);
  const current = [...tbody.rows].find((tr) => tr.dataset.asset === balance.asset);
  if (current) {
    current.replaceWith(row);
  } else {
    tbody.querySelector("tr.empty")?.remove();
    const after = [...tbody.rows].find((tr) => tr.dataset.asset > balance.asset);
    tbody.insertBefore(row, after ?? null);
  }
  state.balances.set(balance.asset, balance);
  state.balanceUpdatedBy.set(balance.asset, ++state.balanceUpdates);
  $("#balances-updated").textContent = `(event ${timeOf(payload.timestamp)})`;
}

function changedFields(before, after) {
  return BALANCE_FIELDS.filter((field) => before[field] !== after[field]);
}

/** One asset's row; `highlight` flashes it, and marks the amounts that differ from `shown`. */
function balanceRow(balance, shown, highlight) {
  const changed = new Set(highlight && shown ? changedFields(shown, balance) : []);
  const amount = (field) => el("td", { class: changed.has(field) ? "num changed" : "num" }, balance[field] ?? "—");
  return el(
    "tr",
    { class: highlight ? "updated" : "", dataset: { asset: balance.asset } },
    el("td", {}, balance.asset),
    ...BALANCE_FIELDS.map(amount),
  );
}

async function loadPositions() {
  if (!state.accessToken) return;
  const userId = state.user?.userId;
  try {
    const positions = await api("GET", "/positions");
    if (state.user?.userId !== userId) return;
    renderPositions(positions);
    $("#positions-notice").replaceChildren();
  } catch (error) {
    if (state.user?.userId === userId) showError("#positions-notice", error);
  }
}

function renderPositions(positions) {
  const rows = positions.map(positionRow);
  const emptyText = state.user ? "No trades yet." : "No positions loaded.";
  const empty = el("tr", { class: "empty" }, el("td", { colspan: "6" }, emptyText));
  $("#positions-table tbody").replaceChildren(...(rows.length ? rows : [empty]));
  $("#positions-count").textContent = state.user ? `(${positions.length})` : "";
}

function positionRow(position) {
  return el(
    "tr",
    {},
    el("td", {}, position.pair),
    el("td", { class: `num ${signClass(position.netAmount)}` }, position.netAmount),
    el("td", { class: "num" }, position.averageEntryPrice ?? "—"),
    el("td", { class: `num ${signClass(position.realizedPnl)}` }, position.realizedPnl),
    el("td", { class: `num ${signClass(position.unrealizedPnl)}` }, position.unrealizedPnl ?? "—"),
    el("td", { class: "num" }, position.lastPrice ?? "—"),
  );
}

/** "positive" or "negative" by the sign of a decimal string; read as text, never as a float. */
function signClass(decimalText) {
  if (typeof decimalText !== "string" || /^-?0*\.?0*$/.test(decimalText)) return "";
  return decimalText.startsWith("-") ? "negative" : "positive";
}

// ---------------------------------------------------------------- actions

async function createOrder(form) {
  const { pair, side, type, amount, price, clientOrderId } = formValues(form);
  const body = { pair, side, type, amount, price };
  if (clientOrderId) body.clientOrderId = clientOrderId;
  const { data: order, response } = await request("POST", "/orders", { body });
  const how = response.status === 200 ? "already existed for this clientOrderId (200)" : "created (201)";
  const what = `${order.side} ${order.amount} ${order.pair} @ ${order.price}`;
  showNotice("#order-notice", `Order ${shortId(order.orderId)} ${how}: ${what}.`);
  await loadOrders();
  await selectOrder(order.orderId);
}

async function addTrade(form) {
  const { executedAmount, executedPrice } = formValues(form);
  const body = { executedAmount, executedPrice };
  const { order, trade } = await api("POST", `/orders/${state.selectedOrderId}/trades`, { body });
  form.elements.executedAmount.value = "";
  const recorded = `${trade.executedAmount} @ ${trade.executedPrice}`;
  showNotice("#selected-notice", `Trade ${recorded} recorded; order is ${order.status}.`);
  renderSelected(order);
}

async function cancelSelected() {
  const order = await api("PATCH", `/orders/${state.selectedOrderId}/status`, { body: { status: "CANCELLED" } });
  showNotice("#selected-notice", `Order ${shortId(order.orderId)} is ${order.status}.`);
  renderSelected(order);
}

/** Run an action from a button or form, showing its API error next to it instead of losing it. */
function guarded(noticeSelector, action) {
  return async (event) => {
    event.preventDefault();
    const control = event.submitter || event.currentTarget;
    control.disabled = true;
    try {
      await action(event);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      showError(noticeSelector, error);
    } finally {
      control.disabled = false;
    }
  };
}

function credentials() {
  const { username, password } = formValues($("#auth-form"));
  return [username, password];
}

function bindControls() {
  $("#auth-form").addEventListener("submit", guarded("#account-notice", async () => {
    await logIn(...credentials());
    showNotice("#account-notice", "Logged in.");
  }));
  $("#register").addEventListener("click", guarded("#account-notice", () => register(...credentials())));
  $("#logout").addEventListener("click", logOut);
  $("#socket-connect").addEventListener("click", connectSocket);
  $("#socket-disconnect").addEventListener("click", () => {
    disconnectSocket();
    setSocketState("disconnected", "Disconnected by you.");
  });
  $("#order-form select[name=pair]").addEventListener("change", showInstrumentRules);
  $("#order-form").addEventListener("submit", guarded("#order-notice", (event) => createOrder(event.currentTarget)));
  $("#trade-form").addEventListener("submit", guarded("#selected-notice", (event) => addTrade(event.currentTarget)));
  $("#cancel-order").addEventListener("click", guarded("#selected-notice", cancelSelected));
  $("#status-filter").addEventListener("change", loadOrders);
  $("#refresh-orders").addEventListener("click", loadOrders);
  $("#refresh-balances").addEventListener("click", loadBalances);
  $("#refresh-positions").addEventListener("click", loadPositions);
  $("#clear-log").addEventListener("click", () => {
    $("#log").replaceChildren();
    $("#log-count").textContent = "";
  });
}

bindControls();
restoreSession();
