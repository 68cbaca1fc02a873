/**
 * Slack message text as a person reads it in Slack.
 *
 * Slack sends a message's `text` with its control characters escaped (`&amp;`, `&lt;`, `&gt;`,
 * and only those three) and everything it parses specially between `<` and `>`: users
 * `<@U123>` (`<@U123|name>` in older payloads), channels `<#C123|general>` or `<#C123>`, special
 * mentions `<!here>`, `<!channel>`, `<!everyone>`, user groups `<!subteam^S123|@team>`, dates
 * `<!date^1392734382^{date_short}|Feb 18, 2014>` (the fallback is what a client without the
 * format shows) and links `<https://x|label>`, `<https://x>`, `<mailto:a@b|a@b>`
 * (https://docs.slack.dev/messaging/formatting-message-text). A literal `<` is always sent as
 * `&lt;`, so every `<…>` is markup.
 *
 * Names come from lookups the adapter makes (users.info, conversations.info): `slackReferences`
 * says which ids need one, `slackTextAsWritten` renders with what was found. Both are pure.
 */
import { renderMarkup } from "../markup.js";

export interface SlackReferences {
  /** Users mentioned, whose display names are wanted. */
  users: string[];
  /** Channels mentioned without their name in the markup. */
  channels: string[];
}

export interface SlackNames {
  /** Display names by user id; a user not found is shown by the name in the markup, or the id. */
  users?: ReadonlyMap<string, string>;
  /** Channel names by id, for `<#C123>` without a name. */
  channels?: ReadonlyMap<string, string>;
}

const MARKUP = /<([^<>]*)>/g;
const ENTITY = /&(amp|lt|gt);/g;
const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">" };

/** `&amp;`, `&lt;` and `&gt;` as the characters they stand for, in one pass (`&amp;lt;` is `&lt;`). */
export function decodeSlackEntities(text: string): string {
  return text.includes("&") ? text.replace(ENTITY, (_, name: string) => ENTITIES[name]!) : text;
}

/** The users and unnamed channels `text` mentions (the bot itself left out), each once. */
export function slackReferences(text: string, botUserId?: string): SlackReferences {
  const users = new Set<string>();
  const channels = new Set<string>();
  for (const [, inner = ""] of text.matchAll(MARKUP)) {
    const [target = "", label] = splitLabel(inner);
    if (target.startsWith("@") && target.length > 1 && target.slice(1) !== botUserId) users.add(target.slice(1));
    else if (target.startsWith("#") && target.length > 1 && !label) channels.add(target.slice(1));
  }
  return { users: [...users], channels: [...channels] };
}

/** Whether `text` mentions the user `id` (`<@id>` or `<@id|name>`). */
export function mentionsSlackUser(text: string, id: string | undefined): boolean {
  return id !== undefined && (text.includes(`<@${id}>`) || text.includes(`<@${id}|`));
}

/**
 * `text` as Slack shows it: entities decoded, mentions as `@name` and `#channel`, links as
 * `label (url)` (or the url alone when the label says nothing more), and the bot's own mentions
 * left out, since they only addressed it.
 */
export function slackTextAsWritten(text: string, names: SlackNames = {}, botUserId?: string): string {
  return renderMarkup(text, MARKUP, (match) => markup(match[1] ?? "", names, botUserId), decodeSlackEntities);
}

/** One `<…>`'s inner text as a person reads it; undefined for a mention of the bot. */
function markup(inner: string, names: SlackNames, botUserId: string | undefined): string | undefined {
  const [target = "", rawLabel] = splitLabel(inner);
  const label = rawLabel === undefined || rawLabel === "" ? undefined : decodeSlackEntities(rawLabel);
  if (target.startsWith("@") && target.length > 1) {
    const id = target.slice(1);
    if (id === botUserId) return undefined;
    return `@${names.users?.get(id) ?? label?.replace(/^@/, "") ?? id}`;
  }
  if (target.startsWith("#") && target.length > 1) {
    const id = target.slice(1);
    return `#${label?.replace(/^#/, "") ?? names.channels?.get(id) ?? id}`;
  }
  if (target.startsWith("!")) return special(target.slice(1), label);
  if (target === "") return `<${decodeSlackEntities(inner)}>`;
  return link(decodeSlackEntities(target), label);
}

/** `<!here>`, `<!subteam^S123|@team>`, `<!date^…|fallback>` and the like. */
function special(command: string, label: string | undefined): string {
  const [kind = "", ...args] = command.split("^");
  switch (kind) {
    case "here":
    case "channel":
    case "everyone":
      return `@${kind}`;
    case "subteam":
      return label ? (label.startsWith("@") ? label : `@${label}`) : `@${args[0] ?? "group"}`;
    case "date": {
      if (label) return label;
      const seconds = Number(args[0]);
      return Number.isFinite(seconds) ? new Date(seconds * 1000).toISOString() : "(a date)";
    }
    default:
      return label ?? `@${decodeSlackEntities(kind)}`;
  }
}

/** A link: its label and its target, or the target alone when the label is only the target again. */
function link(url: string, label: string | undefined): string {
  const bare = url.replace(/^mailto:/i, "");
  if (label === undefined) return bare;
  const plain = (s: string) =>
    s
      .replace(/^(https?:\/\/|mailto:)/i, "")
      .replace(/\/$/, "")
      .toLowerCase();
  if (plain(label) === plain(url)) return /^mailto:/i.test(url) ? bare : label;
  return `${label} (${bare})`;
}

/** `target|label`: the label is everything after the first `|`. */
function splitLabel(inner: string): [string, string | undefined] {
  const bar = inner.indexOf("|");
  return bar < 0 ? [inner, undefined] : [inner.slice(0, bar), inner.slice(bar + 1)];
}
