import type { PostedMessage, ReplyStream } from "../../core/poster.js";

/**
 * The reply stream, holding every piece of the answer until `ready` resolves (the user's message
 * is on disk), then passing them on in order. If `ready` fails, nothing is shown and `finish` fails
 * with its error.
 */
export function holdReply(stream: ReplyStream, ready: Promise<void>): ReplyStream {
  let held: string[] | undefined = [];
  const released = ready.then(() => {
    for (const delta of held ?? []) stream.append(delta);
    held = undefined;
  });
  // A failure is reported by finish(); until then it must not count as unhandled.
  released.catch(() => undefined);
  return {
    append(delta) {
      if (held) held.push(delta);
      else stream.append(delta);
    },
    complete() {
      // After the held pieces: it stops a first live write they would start.
      released.then(() => stream.complete?.()).catch(() => undefined);
    },
    async finish(text, failure): Promise<PostedMessage> {
      await released;
      return stream.finish(text, failure);
    },
  };
}
