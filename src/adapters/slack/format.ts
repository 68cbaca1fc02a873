import slackify from "slackify-markdown";
import { splitText } from "../../core/split-text.js";

/** Slack shows about 4,000 characters of a message before "show more"; stay under it. */
export const SLACK_MESSAGE_LIMIT = 3_500;

/** Markdown from the model as Slack mrkdwn: bold, italics, links, lists, code, headings. */
export function toMrkdwn(markdown: string): string {
  return slackify(markdown).replace(/\n+$/, "");
}

/** The answer as the messages Slack will show, each under the limit once converted. */
export function slackPieces(markdown: string, limit = SLACK_MESSAGE_LIMIT): string[] {
  // Conversion can lengthen text (links, zero-width spaces around emphasis): leave it room.
  return splitText(markdown, Math.floor(limit * 0.9)).map(toMrkdwn);
}

/** A moment as Slack's date markup: each reader sees it in their own time zone, the ISO time where it cannot be shown. */
export function slackDate(at: Date): string {
  return `<!date^${Math.floor(at.getTime() / 1000)}^{date_short_pretty} {time}|${at.toISOString()}>`;
}
