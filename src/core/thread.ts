export const platforms = ["web", "slack", "discord"] as const;
export type Platform = (typeof platforms)[number];

/** Where a reply goes: a thread of a channel on one platform, in that platform's own ids. */
export interface ThreadRef {
  platform: Platform;
  channel: string;
  thread: string;
}

export interface Author {
  id: string;
  name?: string;
  isAdmin?: boolean;
}

/** How an author is named in a thread's history. */
export const authorName = (author: Author): string => author.name ?? author.id;
