// @ts-check
/* The console's HTTP API: what the server's routes answer (src/adapters/web/api.ts and
   events.ts say so) and a client for them. JSON from the server is taken at its word here,
   once per route; the callers still check what they rely on. */

/** @typedef {{ name: string, threads: number, updatedAt: string }} ChannelSummary */
/** @typedef {{ thread: string, title: string, updatedAt: string }} ThreadSummary */
/** `failed`: a reply saying its turn failed; `stopped`: what a reply said before a person stopped it. */
/** `toolCalls`: on a reply, the tools its turn used. */
/** @typedef {{ id: string, role: string, author: string, text: string, createdAt: string, failed?: boolean, stopped?: boolean, toolCalls?: ToolCall[] }} StoredMessage */
/** @typedef {{ name: string, ok: boolean }} ToolCall */
/** `failed`: the turn failed and `reply.text` says so; sending the same `id` again runs it again. */
/** @typedef {{ thread: string, reply: { id: string, text: string }, toolCalls: ToolCall[], failed?: boolean }} ChatReply */
/** A tool call that waits for the operator's yes; the events and GET .../approvals add who asked and until when. */
/** @typedef {{ id: string, tool: string, args: unknown, asker?: { id: string, name: string }, expiresAt?: string }} Approval */
/** A turn paused at a call that needs approval: no reply yet. */
/** @typedef {{ thread: string, pendingApproval: Approval }} ChatPaused */
/** How /api/chat and /api/approvals/:id answer a turn. */
/** @typedef {ChatReply | ChatPaused} ChatAnswer */
/** @typedef {"approved" | "denied" | "expired"} ApprovalState */
/** `id`: this send's own id; sent again after a failure, a turn that worked answers with its reply, one that failed runs again. */
/** @typedef {{ channel: string, user: string, text: string, thread?: string, id?: string }} ChatRequest */
/** @typedef {{ channel: string, user: string, command: string, text: string }} CommandRequest */
/** @typedef {{ text: string }} CommandReply */
/** @typedef {{ status: string, db: string, redis: string, llm: string, missing: string[] }} Health */

/**
 * What `GET /api/events?channel=NAME` sends, one JSON object a message.
 * @typedef {{ type: "message.user", channel: string, thread: string, messageId: string, author: string, text: string }
 *   | { type: "message.delta", channel: string, thread: string, messageId: string, delta: string }
 *   | { type: "message.done", channel: string, thread: string, messageId: string, text: string, failed?: boolean, error?: string }
 *   | { type: "approval.requested", channel: string, thread: string, approval: Approval }
 *   | { type: "approval.decided", channel: string, thread: string, id: string, state: ApprovalState, by?: string, at: string }
 *   | { type: "project.progress" | "project.done", channel: string, thread: string, projectId: string, text: string }} ConsoleEvent
 */

/** The text of something thrown. @param {unknown} e */
export function messageOf(e) {
  return e instanceof Error ? e.message : String(e);
}

/**
 * @param {"GET" | "POST"} method
 * @param {string} path
 * @param {object} [body] sent as JSON
 * @returns {Promise<unknown>} the answer's JSON; null when it has none
 */
async function request(method, path, body) {
  let res;
  try {
    res = await fetch(path, {
      method: method,
      headers: body ? { "content-type": "application/json", accept: "application/json" } : { accept: "application/json" },
      body: body ? JSON.stringify(body) : undefined,
    });
  } catch (e) {
    throw new Error(`Cannot reach the Quorum server (${(e instanceof Error && e.message) || "network error"}).`);
  }
  // The session ended (logged out, idle 7 days, or the token rotated): back to the login form.
  if (res.status === 401) location.assign("/");
  const raw = await res.text().catch(() => "");
  /** @type {unknown} */
  let data = null;
  if (raw) {
    try {
      data = JSON.parse(raw);
    } catch {
      data = null;
    }
  }
  if (!res.ok) {
    const error = data && typeof data === "object" && "error" in data ? data.error : undefined;
    const msg = typeof error === "string" ? error : raw && raw.length < 300 && !/^\s*</.test(raw) ? raw.trim() : res.statusText;
    throw Object.assign(new Error(`${msg || "Request failed"} (HTTP ${res.status})`), { status: res.status, detail: msg || "" });
  }
  return data;
}

/**
 * The server's answer to a request that failed: its status and its `error` text; null when it
 * never answered.
 * @param {unknown} e
 * @returns {{ status: number, detail: string } | null}
 */
export function refusal(e) {
  if (!(e instanceof Error && "status" in e && typeof e.status === "number")) return null;
  return { status: e.status, detail: "detail" in e && typeof e.detail === "string" ? e.detail : e.message };
}

/** Ends this browser's session; the page then shows the login form. */
export async function logout() {
  await request("POST", "/api/logout");
}

/** @returns {Promise<ChannelSummary[] | null>} */
export async function getChannels() {
  return /** @type {ChannelSummary[] | null} */ (await request("GET", "/api/channels"));
}

/**
 * @param {string} channel
 * @returns {Promise<ThreadSummary[] | null>} newest first
 */
export async function getThreads(channel) {
  return /** @type {ThreadSummary[] | null} */ (await request("GET", `/api/channels/${encodeURIComponent(channel)}/threads`));
}

/**
 * @param {string} thread
 * @returns {Promise<StoredMessage[] | null>} oldest first
 */
export async function getMessages(thread) {
  return /** @type {StoredMessage[] | null} */ (await request("GET", `/api/threads/${encodeURIComponent(thread)}/messages`));
}

/**
 * @param {string} thread
 * @returns {Promise<Approval[] | null>} the calls the thread still waits on, oldest first
 */
export async function getApprovals(thread) {
  return /** @type {Approval[] | null} */ (await request("GET", `/api/threads/${encodeURIComponent(thread)}/approvals`));
}

/**
 * Sends a message; resolves when the whole reply is stored, or the turn waits for an approval.
 * @param {ChatRequest} body
 * @returns {Promise<ChatAnswer | null>}
 */
export async function postChat(body) {
  return /** @type {ChatAnswer | null} */ (await request("POST", "/api/chat", body));
}

/**
 * Decides a call that waits; resolves when the turn that goes on is answered, or waits again.
 * @param {string} id
 * @param {{ approve: boolean, user: string }} body
 * @returns {Promise<ChatAnswer | null>}
 */
export async function postApproval(id, body) {
  return /** @type {ChatAnswer | null} */ (await request("POST", `/api/approvals/${encodeURIComponent(id)}`, body));
}

/**
 * @param {string} id
 * @returns {Promise<{ id: string, thread: string, status: string } | null>} the project, with more the console does not use
 */
export async function getProject(id) {
  return /** @type {{ id: string, thread: string, status: string } | null} */ (
    await request("GET", `/api/projects/${encodeURIComponent(id)}`)
  );
}

/**
 * Answers the thread's last message again; resolves like postChat.
 * @param {string} thread
 * @param {{ channel: string, user: string }} body
 * @returns {Promise<ChatAnswer | null>}
 */
export async function postRegenerate(thread, body) {
  return /** @type {ChatAnswer | null} */ (await request("POST", `/api/threads/${encodeURIComponent(thread)}/regenerate`, body));
}

/**
 * Stops the answer being written in a thread; 409 when none is.
 * @param {string} thread
 * @param {string} channel
 */
export async function postStop(thread, channel) {
  await request("POST", `/api/threads/${encodeURIComponent(thread)}/stop`, { channel: channel });
}

/**
 * @param {CommandRequest} body
 * @returns {Promise<CommandReply | null>}
 */
export async function postCommand(body) {
  return /** @type {CommandReply | null} */ (await request("POST", "/api/commands", body));
}
